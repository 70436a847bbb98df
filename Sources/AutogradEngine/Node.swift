import AutogradCore

/// Where an input of a node came from, and so where its gradient goes: into another node,
/// into a leaf's `grad` (PyTorch's AccumulateGrad), or nowhere for a constant.
public enum Edge {
    /// The node that made the input.
    case node(Node)
    /// A leaf that requires grad; its gradient accumulates in `grad`.
    case leaf(Tensor)
    /// An input that does not require grad; kept so drawings can show it.
    case constant(Tensor)

    /// The shape of the input this edge stands for.
    public var shape: [Int] {
        switch self {
        case .node(let node): return node.outputShape
        case .leaf(let tensor), .constant(let tensor): return tensor.shape
        }
    }

    /// The dtype of the input this edge stands for; its gradient has this dtype.
    public var dtype: DType {
        switch self {
        case .node(let node): return node.outputDType
        case .leaf(let tensor), .constant(let tensor): return tensor.dtype
        }
    }

    /// Whether a gradient flows along this edge.
    public var carriesGradient: Bool {
        if case .constant = self { return false }
        return true
    }
}

/// A tensor saved for backward, with its storage's version when saved, so a later
/// in-place change to it is detected instead of silently giving a wrong gradient
/// (PyTorch's SavedVariable).
///
/// An input is kept as the tensor itself, which unpacks with no copy. A node's own output
/// is kept as its values only, since the output tensor holds the node: almost always as
/// the storage alone, laid out row-major from its start in the node's output shape, so
/// that every saved slot of a node takes two words.
enum SavedTensor {
    /// A saved input and its storage's version when saved.
    case input(Tensor, version: Int)
    /// A node's own output, row-major from the start of `storage` in the node's output
    /// shape, and the storage's version when saved.
    case output(Storage, version: Int)
    /// A node's own output in any other layout, and its storage's version when saved.
    indirect case outputView(NDArray, version: Int)

    /// Saves the input `tensor` as it is now.
    init(_ tensor: Tensor) {
        self = .input(tensor, version: tensor.array.storage.version)
    }

    /// Saves a node's own output values (the node becomes their history when unpacked).
    init(output: NDArray) {
        let version = output.storage.version
        let rowMajorFromStart = output.layout.offset == 0 && output.layout.isContiguous
        self = rowMajorFromStart ? .output(output.storage, version: version) : .outputView(output, version: version)
    }

    /// The saved tensor, or PyTorch's error if its storage was modified in place since.
    /// A saved output gets `outputHistory` (its node) as its history.
    func unpack(in node: Node, history outputHistory: Node? = nil) throws(AutogradError) -> Tensor {
        switch self {
        case .input(let tensor, let version):
            let current = tensor.array.storage.version
            guard current == version else {
                throw SavedTensor.modified(tensor.array, in: node, producer: tensor.gradFn, current, version)
            }
            return tensor
        case .output(let storage, let version):
            return try SavedTensor.unpackOutput(
                NDArray(storage: storage, layout: Layout(contiguous: node.outputShape)), version: version, in: node,
                history: outputHistory)
        case .outputView(let array, let version):
            return try SavedTensor.unpackOutput(array, version: version, in: node, history: outputHistory)
        }
    }

    /// A saved output as a tensor with history `outputHistory`, after checking its version.
    private static func unpackOutput(
        _ array: NDArray, version: Int, in node: Node, history outputHistory: Node?
    ) throws(AutogradError) -> Tensor {
        let current = array.storage.version
        guard current == version else {
            throw SavedTensor.modified(array, in: node, producer: outputHistory, current, version)
        }
        return Tensor(array, history: outputHistory)
    }

    /// Whether this is the input `tensor`'s values, as saved.
    func isInput(viewing array: NDArray) -> Bool {
        guard case .input(let tensor, _) = self else { return false }
        return tensor.array.storage === array.storage && tensor.array.layout == array.layout
    }

    /// PyTorch's error for a saved value of `node` written in place since it was saved.
    private static func modified(
        _ array: NDArray, in node: Node, producer: Node?, _ current: Int, _ expected: Int
    ) -> AutogradError {
        .savedValueModified(
            node: node.name, shape: array.shape, dtype: array.dtype, producer: producer?.name,
            version: current, expectedVersion: expected)
    }
}

/// The first three inputs of an op, the ones a rule can save.
struct InputTriple {
    /// The first input, if any.
    var first: Tensor?
    /// The second input, if any.
    var second: Tensor?
    /// The third input, if any.
    var third: Tensor?
}

/// The saved values of one node, unpacked for its rule on first use. Each accessor
/// returns what the op declared it saves (``Op/saves``), checked against in-place
/// changes, or throws ``AutogradError/savedValueMissing(node:)`` when the declaration and
/// the forward pass disagree.
struct UnpackedSavedValues {
    /// The node whose values these are.
    private let node: Node

    /// `node`'s saved values. The saved result's history is the node itself, so a graph
    /// recorded from it (double backward) flows through this node again.
    init(_ node: Node) {
        self.node = node
    }

    // The input accessors match their slot in place first: handing the slot to `unpack`
    // copies it (a retain and a release per read). Anything but an unchanged saved input
    // goes through `unpack`, which owns the version check and its error.

    /// The first input.
    func first() throws(AutogradError) -> Tensor {
        if case .input(let tensor, let version)? = node.savedFirst, tensor.version == version { return tensor }
        return try unpack(node.savedFirst)
    }
    /// The second input.
    func second() throws(AutogradError) -> Tensor {
        if case .input(let tensor, let version)? = node.savedSecond, tensor.version == version { return tensor }
        return try unpack(node.savedSecond)
    }
    /// The third input.
    func third() throws(AutogradError) -> Tensor {
        if case .input(let tensor, let version)? = node.savedThird, tensor.version == version { return tensor }
        return try unpack(node.savedThird)
    }
    /// The forward result.
    func result() throws(AutogradError) -> Tensor { try unpack(node.savedResult) }

    /// The saved mean and reciprocal standard deviation of each row.
    func rowStatistics() throws(AutogradError) -> (mean: NDArray, reciprocalStd: NDArray) {
        guard case .rowStatistics(let mean, let reciprocalStd) = node.savedAuxiliary else { throw missing }
        return (mean, reciprocalStd)
    }

    /// The saved log-sum-exp rows and mask of an attention call.
    func attention() throws(AutogradError) -> (logSumExp: NDArray, mask: AttentionKernel.Mask?) {
        guard case .attention(let logSumExp, let mask) = node.savedAuxiliary else { throw missing }
        return (logSumExp, mask)
    }

    /// The saved array (positions of maxima, a mask or a condition).
    func array() throws(AutogradError) -> NDArray {
        guard case .array(let array) = node.savedAuxiliary else { throw missing }
        return array
    }

    /// The saved indices.
    func indices() throws(AutogradError) -> [Int] {
        guard case .indices(let indices) = node.savedAuxiliary else { throw missing }
        return indices
    }

    /// The error for a value the rule reads but the forward pass did not save.
    private var missing: AutogradError { .savedValueMissing(node: node.name) }

    private func unpack(_ saved: SavedTensor?) throws(AutogradError) -> Tensor {
        guard let saved else { throw missing }
        return try saved.unpack(in: node, history: node)
    }
}

/// The input edges of a node. One- and two-input ops (almost every node) keep theirs
/// inline, so recording them allocates no array. Three words: the edges are filled from
/// the first on, so their number follows from which are present.
struct EdgeList: RandomAccessCollection {
    private var first: Edge?
    private var second: Edge?
    /// The edges after the second (nil for ops of one or two inputs, which then make no array).
    private var others: [Edge]?

    /// The edges `edges`, in order.
    init(_ edges: [Edge]) {
        first = edges.first
        second = edges.count > 1 ? edges[1] : nil
        others = edges.count > 2 ? Array(edges[2...]) : nil
    }

    /// The edge of a one-input op.
    init(_ only: Edge) {
        first = only
        second = nil
        others = nil
    }

    /// The edges of a two-input op.
    init(_ a: Edge, _ b: Edge) {
        first = a
        second = b
        others = nil
    }

    /// The number of edges.
    var count: Int {
        if first == nil { return 0 }
        if second == nil { return 1 }
        return 2 + (others?.count ?? 0)
    }

    /// Moves the nodes among the edges onto `pending`, without retaining them again, and
    /// empties the list (releasing the leaves and constants it held).
    mutating func takeNodes(into pending: inout [Node]) {
        if case .node(let node)? = first.take() { pending.append(node) }
        if case .node(let node)? = second.take() { pending.append(node) }
        if let others = others.take() {
            for case .node(let node) in others { pending.append(node) }
        }
    }

    // The three readers below each switch on the position themselves: written through
    // `unretainedEdge(at:)`, the release build of Swift 6.3.1 crashed (SIL ownership
    // verifier).

    /// Whether a gradient flows along edge `index`, read in place (the subscript returns a
    /// copy, which retains the edge's node or tensor).
    func carriesGradient(at index: Int) -> Bool {
        switch index {
        case 0: if case .constant? = first { return false }
        case 1: if case .constant? = second { return false }
        default: return others![index - 2].carriesGradient
        }
        return true
    }

    /// The node behind edge `index`, unretained (nil for a leaf or a constant), read in
    /// place like ``carriesGradient(at:)``: the edge keeps it alive while the node holding
    /// this list lives.
    func unretainedNode(at index: Int) -> Unmanaged<Node>? {
        switch index {
        case 0: if case .node(let node)? = first { return Unmanaged.passUnretained(node) }
        case 1: if case .node(let node)? = second { return Unmanaged.passUnretained(node) }
        default: if case .node(let node) = others![index - 2] { return Unmanaged.passUnretained(node) }
        }
        return nil
    }

    /// Edge `index` without retaining the node or tensor it refers to, read in place like
    /// ``carriesGradient(at:)``: valid while the node holding this list lives.
    func unretainedEdge(at index: Int) -> UnretainedEdge {
        switch index {
        case 0: return UnretainedEdge(first!)
        case 1: return UnretainedEdge(second!)
        default: return UnretainedEdge(others![index - 2])
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Edge {
        switch position {
        case 0: return first!
        case 1: return second!
        default: return others![position - 2]
        }
    }
}

/// An ``Edge`` whose node or tensor is not retained: the backward pass reads edges this
/// way, since the node holding an edge keeps what it refers to alive for the whole pass.
enum UnretainedEdge {
    /// The node that made the input.
    case node(Unmanaged<Node>)
    /// A leaf that requires grad.
    case leaf(Unmanaged<Tensor>)
    /// An input that does not require grad.
    case constant(Unmanaged<Tensor>)

    /// `edge`, unretained.
    @inline(__always)
    init(_ edge: borrowing Edge) {
        switch edge {
        case .node(let node): self = .node(Unmanaged.passUnretained(node))
        case .leaf(let tensor): self = .leaf(Unmanaged.passUnretained(tensor))
        case .constant(let tensor): self = .constant(Unmanaged.passUnretained(tensor))
        }
    }

    /// The edge itself, retained again (for the uncommon paths that need one).
    var edge: Edge {
        switch self {
        case .node(let node): return .node(node.takeUnretainedValue())
        case .leaf(let tensor): return .leaf(tensor.takeUnretainedValue())
        case .constant(let tensor): return .constant(tensor.takeUnretainedValue())
        }
    }

    /// Whether `array` has the shape and dtype of the input this edge stands for, so a
    /// gradient in it needs neither summing nor casting; read without retaining anything.
    func matches(_ array: borrowing NDArray) -> Bool {
        switch self {
        case .node(let node):
            return node._withUnsafeGuaranteedRef { array.layout.shape == $0.outputShape && array.dtype == $0.outputDType }
        case .leaf(let tensor), .constant(let tensor):
            return tensor._withUnsafeGuaranteedRef { array.layout.shape == $0.array.layout.shape && array.dtype == $0.dtype }
        }
    }
}

/// What few nodes need, kept out of line so ordinary nodes stay small: the saved values
/// beyond the node's two slots, the `graphScope` frame, the label, hooks, a retained output,
/// the anomaly-mode creation site, and what a tracing observer keeps.
final class NodeExtras {
    /// The third input, when the rule reads it.
    var savedThird: SavedTensor?
    /// The forward result, when the rule reads it and the second slot holds the second input.
    var savedResult: SavedTensor?
    /// Indices, a mask or other values the rule reads.
    var savedAuxiliary: SavedAuxiliary?
    /// The innermost `graphScope` call the node was recorded in, if any.
    var scopeFrame: GraphScopeFrame?
    var outputLabel: String?
    weak var retainedOutput: Tensor?
    var gradientHooks = GradientHooks()
    var prehooks = GradientHooks()
    var posthooks = HookList<NodePostHook>()
    var creationSite: String?
    var traceRecord: AnyObject?

    /// Extras holding what a node saves beyond its two slots and its `graphScope` frame.
    init(savedThird: SavedTensor? = nil, savedResult: SavedTensor? = nil, savedAuxiliary: SavedAuxiliary? = nil,
         scopeFrame: GraphScopeFrame? = nil) {
        self.savedThird = savedThird
        self.savedResult = savedResult
        self.savedAuxiliary = savedAuxiliary
        self.scopeFrame = scopeFrame
    }

    /// Whether any saved value is held here.
    var holdsSavedValues: Bool { savedThird != nil || savedResult != nil || savedAuxiliary != nil }

    /// Frees the saved values held here.
    func releaseSavedValues() {
        savedThird = nil
        savedResult = nil
        savedAuxiliary = nil
    }
}

/// A recorded operation in the backward graph (PyTorch's `grad_fn`).
///
/// A node holds what its backward rule needs and the edges to its inputs' nodes; it never
/// holds its output tensor strongly, so graphs are freed with the tensors that use them.
/// Of its output it keeps the shape and dtype only (the values stay with the output
/// tensor, and with the node only where its rule saved them), so an intermediate result is
/// freed once nothing but the graph refers to it. Inside `tracingGraph` the values are
/// reported to the tracing observer (``GraphTraceObserver``), which may keep them.
///
/// An ordinary node takes 120 bytes with its object header, the largest request glibc's
/// malloc serves from its fast bins: a long chain's nodes are then allocated and freed
/// without the sorting and coalescing of larger chunks (a node took 200 bytes before; at
/// 120, with fewer fields to destroy, a ten-thousand-op chain runs 4% fewer instructions
/// and about 7% less time per op). The stored properties are ordered for that: the
/// 10-byte op, the dtype, two flags and the 4-byte dependency count fill three words; the
/// edges, pending gradient and output shape five; the two saved slots four; the extras
/// one. Whatever else a node may keep (a third saved input, a result beside a second
/// input, an auxiliary value, its `graphScope`) is in ``NodeExtras``.
public final class Node {
    /// The operation and its attributes (at most 16 bytes: see ``Op``).
    let op: Op
    /// The dtype of the tensor this node made; incoming gradients have this dtype.
    public let outputDType: DType
    /// Whether the op's scalar operand counts as saved (see ``SavedSlots/scalar``).
    @exclusivity(unchecked) private var savesScalar: Bool
    /// Set once backward has freed the saved values.
    @exclusivity(unchecked) var savedValuesReleased = false
    // The backward pass's bookkeeping sits beside the edges, so that counting a node's
    // dependencies and running it touch as few of its cache lines as possible.

    /// Edges still to arrive in the running backward pass.
    @exclusivity(unchecked) var pendingDependencies: Int32 = 0
    /// One edge per input, in the op's argument order.
    @exclusivity(unchecked) private(set) var edges: EdgeList
    /// Gradient summed from the edges processed so far in the running backward pass.
    @exclusivity(unchecked) var pendingGradient: Tensor?
    /// The shape of the tensor this node made; incoming gradients have this shape.
    public let outputShape: [Int]
    // What the backward rule reads, saved as the op declares (``Op/saves``) and freed after
    // backward unless the graph is retained. The first input and the second (or, for an op
    // that saves no second input, the forward result) are stored properties of the node
    // itself, so saving them allocates nothing and reading copies nothing but the slot
    // read. They are spelled `Optional<...>`, which has no implicit `nil` default, so `init`
    // stores each slot once instead of storing nil and then destroying it.

    /// The first input, when the rule reads it.
    @exclusivity(unchecked) var savedFirst: Optional<SavedTensor>
    /// The second input when the rule reads it, else the forward result when the rule reads
    /// that (saved without its node, to avoid a cycle through it).
    @exclusivity(unchecked) var savedSecond: Optional<SavedTensor>
    /// The rarely used parts: made by `init` when the node saves more than its two slots hold
    /// or is recorded inside `graphScope`, else on first use.
    @exclusivity(unchecked) private var extras: Optional<NodeExtras>

    /// The third input, when the rule reads it.
    var savedThird: SavedTensor? { extras?.savedThird }
    /// The forward result, when the rule reads it.
    var savedResult: SavedTensor? { op.savesResultInSecondSlot ? savedSecond : extras?.savedResult }
    /// Indices, a mask or other values the rule reads.
    var savedAuxiliary: SavedAuxiliary? { extras?.savedAuxiliary }
    /// The innermost `graphScope` call the node was recorded in, if any.
    public var scopeFrame: GraphScopeFrame? { extras?.scopeFrame }

    /// A node for `op` with input `edges`, which made `output`, recorded in `context`,
    /// saving nothing. The node keeps `output`'s shape and dtype; inside `tracingGraph` it
    /// reports `output` to the tracing observer.
    convenience init(op: Op, edges: EdgeList, output: borrowing NDArray, context: RecordingContext = .current) {
        self.init(op: op, edges: edges, output: output, saves: false, savingFrom: { _ in InputTriple() },
                  auxiliary: nil, context: context)
    }

    /// A node for `op` that, when `saves`, saves what the op reads given these edges
    /// (``Op/saves(for:)``): of the inputs `savingFrom` gives for those slots, `output` and
    /// `auxiliary`; the inputs are moved into the saved slots. `context` is the recording
    /// context, nil for the default one (``RecordingContext/isDefault``).
    init(
        op: Op, edges: consuming EdgeList, output: borrowing NDArray, saves: Bool,
        savingFrom inputs: (SavedSlots) -> InputTriple, auxiliary: SavedAuxiliary?, context: RecordingContext?
    ) {
        let slots = saves ? op.saves(for: edges) : []
        self.op = op
        self.outputDType = output.dtype
        self.savesScalar = slots.contains(.scalar)
        self.edges = edges
        self.outputShape = output.shape
        var saved = inputs(slots)
        savedFirst = slots.contains(.first) ? saved.first.take().map(SavedTensor.init) : nil
        let scopeFrame = context?.scopeFrame
        if slots.isDisjoint(with: [.third, .result, .auxiliary]) && scopeFrame == nil {
            // The common case: nothing beyond the two slots and no scope, so no extras.
            savedSecond = slots.contains(.second) ? saved.second.take().map(SavedTensor.init) : nil
            extras = nil
        } else {
            (savedSecond, extras) = Node.secondSlotAndExtras(
                op: op, slots: slots, saved: &saved, output: output, auxiliary: auxiliary, scopeFrame: scopeFrame)
        }
        guard let context else { return }
        if context.detectsAnomalies || context.tracing { noteRecorded(output: output, in: context) }
    }

    /// The second slot and the extras of a node for `op` that saves `slots` (of `saved`,
    /// `output` and `auxiliary`) beyond the first input, or was recorded in `scopeFrame`:
    /// the result goes to the second slot when the op saves no second input, and whatever
    /// the slots cannot hold to the extras. Out of line, so recording an ordinary op stays
    /// short enough to be inlined.
    @inline(never)
    private static func secondSlotAndExtras(
        op: Op, slots: SavedSlots, saved: inout InputTriple, output: borrowing NDArray, auxiliary: SavedAuxiliary?,
        scopeFrame: GraphScopeFrame?
    ) -> (SavedTensor?, NodeExtras?) {
        let result = slots.contains(.result) ? SavedTensor(output: copy output) : nil
        let resultInSecondSlot = op.savesResultInSecondSlot
        let second = resultInSecondSlot ? result
            : slots.contains(.second) ? saved.second.take().map(SavedTensor.init) : nil
        let third = slots.contains(.third) ? saved.third.take().map(SavedTensor.init) : nil
        let overflowResult = resultInSecondSlot ? nil : result
        let savedAuxiliary = slots.contains(.auxiliary) ? auxiliary : nil
        guard third != nil || overflowResult != nil || savedAuxiliary != nil || scopeFrame != nil else {
            return (second, nil)
        }
        return (second, NodeExtras(savedThird: third, savedResult: overflowResult, savedAuxiliary: savedAuxiliary,
                                   scopeFrame: scopeFrame))
    }

    /// Keeps the creation site in anomaly mode and reports `output` to the tracing
    /// observer; out of line, so recording an ordinary op copies nothing for either.
    @inline(never)
    private func noteRecorded(output: borrowing NDArray, in context: RecordingContext) {
        if context.detectsAnomalies { creationSite = AnomalyMode.callSite() }
        if let observer = context.traceObserver { observer.nodeRecorded(self, output: copy output) }
    }


    /// One edge per input, in the op's argument order.
    public var nextEdges: [Edge] { Array(edges) }

    /// The rarely used parts, made if missing.
    private var madeExtras: NodeExtras {
        if let extras { return extras }
        let made = NodeExtras()
        extras = made
        return made
    }

    /// The name given to the output with `Tensor.named(_:)`, if any.
    public internal(set) var outputLabel: String? {
        get { extras?.outputLabel }
        set { madeExtras.outputLabel = newValue }
    }

    /// The non-leaf output whose gradient is kept (see `Tensor.retainGrad()`).
    var retainedOutput: Tensor? {
        get { extras?.retainedOutput }
        set { madeExtras.retainedOutput = newValue }
    }

    /// The output tensor's hooks (`Tensor.registerHook`), applied to the output's gradient
    /// before anything else sees it.
    var gradientHooks: GradientHooks {
        get { extras?.gradientHooks ?? GradientHooks() }
        set { madeExtras.gradientHooks = newValue }
    }

    /// The node's own pre-hooks (``registerPrehook(_:)``), applied just before the rule.
    var prehooks: GradientHooks {
        get { extras?.prehooks ?? GradientHooks() }
        set { madeExtras.prehooks = newValue }
    }

    /// The node's post-hooks (``registerHook(_:)``), applied to the rule's results.
    var posthooks: HookList<NodePostHook> {
        get { extras?.posthooks ?? HookList() }
        set { madeExtras.posthooks = newValue }
    }

    /// Whether a hook or a retained output is attached, which the engine must apply (else
    /// it skips them, and an arithmetic rule takes its short path). Extras that hold only
    /// saved values, a scope or a label do not count.
    var hasHooksOrRetainedOutput: Bool {
        guard let extras else { return false }
        return !extras.gradientHooks.isEmpty || !extras.prehooks.isEmpty || !extras.posthooks.isEmpty
            || extras.retainedOutput != nil
    }

    /// Where the node was created, captured only inside `detectAnomaly`.
    var creationSite: String? {
        get { extras?.creationSite }
        set { madeExtras.creationSite = newValue }
    }

    /// What a ``GraphTraceObserver`` keeps on this node (the drawings of `AutogradGraph`
    /// keep the node's value and gradients here); nil until one stores something. The
    /// engine never reads it.
    public var traceRecord: AnyObject? {
        get { extras?.traceRecord }
        set { madeExtras.traceRecord = newValue }
    }

    /// The `graphScope` blocks the node was recorded in, outermost first.
    public var scopePath: [String] { scopeFrame?.chain.map(\.name) ?? [] }

    /// The shape of each input, so gradients can be summed back after broadcasting.
    var inputShapes: [[Int]] { edges.map(\.shape) }

    /// PyTorch's class name for this node, e.g. `MulBackward0`.
    public var name: String { op.name }

    /// The node's attributes as PyTorch shows them (`exponent`, `dim`, `stride`, ...),
    /// in a stable order.
    public var attributes: [(name: String, value: String)] { op.attributes }

    /// Frees a chain of nodes with a loop instead of nested deinits, so dropping a graph
    /// of any depth cannot overflow the stack (PyTorch's engine does the same).
    deinit {
        // A node the loop below emptied (in the deinit of the node that held it) holds
        // nothing to take.
        if edges.isEmpty && savedFirst == nil && savedSecond == nil && extras == nil { return }
        var pending: [Node] = []
        takeNodeReferences(into: &pending)
        while var node = pending.popLast() {
            // A node only this loop still holds is emptied before it is released, so its
            // own deinit finds nothing to recurse into.
            if isKnownUniquelyReferenced(&node) { node.takeNodeReferences(into: &pending) }
        }
    }

    /// Moves the nodes this node keeps alive (its input edges' nodes and the histories of
    /// its saved tensors) onto `pending`, dropping its own references to them.
    private func takeNodeReferences(into pending: inout [Node]) {
        edges.takeNodes(into: &pending)
        // After a backward pass that did not retain the graph nothing is saved any more.
        guard savedFirst != nil || savedSecond != nil || extras != nil else { return }
        Node.takeHistory(of: &savedFirst, into: &pending)
        Node.takeHistory(of: &savedSecond, into: &pending)
        if let extras { Node.takeHistory(of: &extras.savedThird, into: &pending) }
    }

    /// Empties `slot`, moving onto `pending` the history of the input it held when nothing
    /// else holds that input, so the input's release does not free its node recursively.
    private static func takeHistory(of slot: inout SavedTensor?, into pending: inout [Node]) {
        guard case .input(var tensor, _) = slot else { return }
        slot = nil
        guard isKnownUniquelyReferenced(&tensor), let history = tensor.history else { return }
        tensor.history = nil
        pending.append(history)
    }

    /// Frees the saved values (after a backward pass that does not retain the graph).
    /// A node that saved nothing can still be walked again, as in PyTorch; every node whose
    /// PyTorch counterpart saves a tensor (an input, its output, indices or a scalar
    /// operand) saves it in one of the `saved` slots, so it cannot.
    func releaseSavedValues() {
        if case .custom(let rule) = op { rule.context.release() }
        let extrasHoldValues = extras?.holdsSavedValues ?? false
        guard savedFirst != nil || savedSecond != nil || extrasHoldValues || savesScalar else { return }
        // Only the slots in use are emptied: storing nil over nil still destroys the old value.
        if savedFirst != nil { savedFirst = nil }
        if savedSecond != nil { savedSecond = nil }
        if extrasHoldValues { extras?.releaseSavedValues() }
        savesScalar = false
        savedValuesReleased = true
    }
}
