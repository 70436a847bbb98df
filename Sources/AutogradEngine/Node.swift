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

    /// Whether a gradient flows along this edge.
    public var carriesGradient: Bool {
        if case .constant = self { return false }
        return true
    }
}

/// A tensor saved for backward, as it was when saved: its values, its history and its
/// storage's version, so a later in-place change to it is detected instead of silently
/// giving a wrong gradient (PyTorch's SavedVariable).
struct SavedTensor {
    /// The values (sharing the tensor's storage).
    let array: NDArray
    /// The tensor's `gradFn` when it was saved.
    let history: Node?
    /// The tensor itself when it is a leaf that requires grad (its identity is its edge).
    let leaf: Tensor?
    /// The storage's version when it was saved.
    let version: Int

    /// Saves `tensor` as it is now.
    init(_ tensor: Tensor) {
        array = tensor.array
        history = tensor.gradFn
        leaf = tensor.isLeaf && tensor.requiresGrad ? tensor : nil
        version = tensor.array.storage.version
    }

    /// Saves a node's own output values (the node becomes its history when unpacked).
    init(output: NDArray) {
        array = output
        history = nil
        leaf = nil
        version = output.storage.version
    }

    /// The saved tensor, or PyTorch's error if its storage was modified in place since.
    func unpack(in node: Node, history override: Node? = nil) throws(AutogradError) -> Tensor {
        let current = array.storage.version
        guard current == version else {
            let owner = (override ?? history).map { ", which is output 0 of \($0.name)," } ?? ""
            throw AutogradError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: [FloatTensor \(array.shape)]\(owner) is at version \(current); expected version \(version) instead. (in \(node.name))")
        }
        if let leaf { return leaf }
        return Tensor(array, history: override ?? history)
    }
}

/// The values a backward rule needs, saved at forward time and freed after backward
/// unless the graph is retained.
struct SavedValues {
    /// The first input, when the rule needs it.
    var first: SavedTensor?
    /// The second input, when the rule needs it.
    var second: SavedTensor?
    /// The forward result, saved without its node to avoid a cycle through it.
    var result: SavedTensor?
    /// A constant the rule needs, such as the positions of the maxima.
    var constant: NDArray?

    /// Saves the tensors and values a rule needs.
    init(first: Tensor? = nil, second: Tensor? = nil, result: NDArray? = nil, constant: NDArray? = nil) {
        self.first = first.map(SavedTensor.init)
        self.second = second.map(SavedTensor.init)
        self.result = result.map { SavedTensor(output: $0) }
        self.constant = constant
    }

    /// Whether nothing was saved.
    var isEmpty: Bool { first == nil && second == nil && result == nil && constant == nil }
}

/// A recorded operation in the backward graph (PyTorch's `grad_fn`).
///
/// A node holds what its backward rule needs and the edges to its inputs' nodes; it never
/// holds its output tensor strongly, so graphs are freed with the tensors that use them.
public final class Node {
    /// The operation and its attributes.
    let op: Op
    /// One edge per input, in the op's argument order.
    public private(set) var nextEdges: [Edge]
    /// What the backward rule reads.
    var saved: SavedValues
    /// Set once backward has freed `saved`.
    var savedValuesReleased = false
    /// The non-leaf output whose gradient is kept (see `Tensor.retainGrad()`).
    weak var retainedOutput: Tensor?

    /// The value this node computed, kept for drawings of the graph.
    public let outputValue: NDArray
    /// The name given to the output with `Tensor.named(_:)`, if any.
    public internal(set) var outputLabel: String?
    /// The `graphScope` blocks the node was recorded in, outermost first.
    public let scopePath: [String]
    /// The innermost `graphScope` call the node was recorded in.
    let scopeFrame: GraphScopeFrame?
    /// Set by a backward pass inside `tracingGraph`: the gradient of the output.
    public internal(set) var recordedOutputGradient: NDArray?
    /// Set by a backward pass inside `tracingGraph`: the gradient sent along each
    /// edge (already summed to the input's shape), nil where none was sent.
    public internal(set) var recordedEdgeGradients: [NDArray?] = []

    /// Functions applied to the output's gradient before the rule runs.
    var gradientHooks = GradientHooks()
    /// Where the node was created, captured only inside `detectAnomaly`.
    var creationSite: String?

    /// Gradient summed from the edges processed so far in the running backward pass.
    var pendingGradient: Tensor?
    /// Edges still to arrive in the running backward pass.
    var pendingDependencies = 0

    /// A node for `op` applied to `inputs`, which made `output`, recorded in `context`.
    init(
        op: Op, inputs: [Tensor], output: NDArray, saved: SavedValues = SavedValues(),
        context: RecordingContext = .current
    ) {
        self.op = op
        self.nextEdges = inputs.map(\.gradientEdge)
        self.outputValue = output
        self.saved = saved
        self.scopePath = context.scopePath
        self.scopeFrame = context.scopeFrame
        if context.detectsAnomalies { creationSite = AnomalyMode.callSite() }
    }

    /// The shape of each input, so gradients can be summed back after broadcasting.
    var inputShapes: [[Int]] { nextEdges.map(\.shape) }

    /// The shape of the tensor this node made; incoming gradients have this shape.
    public var outputShape: [Int] { outputValue.shape }

    /// PyTorch's class name for this node, e.g. `MulBackward0`.
    public var name: String { op.name }

    /// The node's attributes as PyTorch shows them (`exponent`, `dim`, `stride`, ...),
    /// in a stable order.
    public var attributes: [(name: String, value: String)] { op.attributes }

    /// Frees a chain of nodes with a loop instead of nested deinits, so dropping a graph
    /// of any depth cannot overflow the stack (PyTorch's engine does the same).
    deinit {
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
        let before = pending.count
        for case .node(let node) in nextEdges { pending.append(node) }
        if let history = saved.first?.history { pending.append(history) }
        if let history = saved.second?.history { pending.append(history) }
        if pending.count == before { return }
        nextEdges = []
        saved = SavedValues()
    }

    /// Frees the saved values (after a backward pass that does not retain the graph).
    /// A node that saved nothing can still be walked again, as in PyTorch.
    func releaseSavedValues() {
        if case .custom(let rule) = op { rule.context.release() }
        if saved.isEmpty { return }
        saved = SavedValues()
        savedValuesReleased = true
    }
}
