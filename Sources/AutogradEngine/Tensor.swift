import AutogradCore

/// An n-dimensional array of numbers of one ``DType`` that can record the operations
/// applied to it, so that ``backward(gradient:retainGraph:createGraph:)`` can compute
/// gradients, as in PyTorch.
///
/// Tensors are references: a leaf's ``grad`` accumulates across backward calls, and views
/// (`transpose`, `detach`, indexing, ...) share storage with the tensor they came from.
///
/// Tensors may be passed between threads (`Sendable`): backward passes on several threads
/// may share leaves (each accumulation into a leaf's `grad` takes that leaf's lock, as
/// in PyTorch). Writing to one tensor from two threads at once (in-place ops, `grad = `)
/// is, as in PyTorch, the caller's to order.
/// ```swift
/// let params = Tensor([1.0, 3.0], requiresGrad: true)
/// let loss = (Tensor([2.0]) * params[0] + params[1] - Tensor([3.0])) ** 2
/// loss.backward()
/// print(params.grad!)   // tensor([8., 4.])
/// ```
public class Tensor: CustomStringConvertible, @unchecked Sendable {
    /// The values: storage, shape, strides and offset. Fixed when the tensor is made
    /// (in-place ops write into the storage), so ops read it without retaining it.
    public final let array: NDArray
    /// The node that made this tensor, or nil for a leaf.
    ///
    /// A view whose storage was written in place since its history was recorded first
    /// remakes its history from its base's current one, as PyTorch regenerates a view's
    /// `grad_fn`.
    public final internal(set) var gradFn: Node? {
        @inline(__always) get {
            if let viewOrigin, viewOrigin.version != array.storage.version { refreshViewHistory() }
            return history
        }
        set { setHistory(newValue) }
    }
    /// The node that made this tensor as last recorded (see ``gradFn``).
    @exclusivity(unchecked) final var history: Node?
    /// Where this tensor was cut from, when it is a view of another tensor's storage.
    @exclusivity(unchecked) final var viewOrigin: ViewOrigin?
    /// The accumulated gradient of a leaf (or of a non-leaf after ``retainGrad()``).
    @exclusivity(unchecked) public final var grad: Tensor?
    /// The name this tensor has in the user's code, shown in graph drawings.
    public final var label: String? {
        get { extras?.label }
        set {
            if newValue != nil || extras != nil { madeExtras.label = newValue }
            gradFn?.outputLabel = newValue
        }
    }
    /// How this tensor was computed, when it does not require grad and was made inside
    /// `tracingGraph` (for drawings; backward never follows it).
    public final internal(set) var trace: Node? {
        get { extras?.trace }
        set { madeExtras.trace = newValue }
    }
    /// Functions applied to a leaf's gradient before it is accumulated.
    final var gradientHooks: GradientHooks {
        get { extras?.gradientHooks ?? GradientHooks() }
        set { madeExtras.gradientHooks = newValue }
    }
    /// Set by ``retainGrad()``: the node that made the current values fills ``grad``.
    final var retainsGradient: Bool {
        get { extras?.retainsGradient ?? false }
        set { if newValue || extras != nil { madeExtras.retainsGradient = newValue } }
    }
    /// The flag a leaf holds; non-leaves require grad through their `gradFn`.
    @exclusivity(unchecked) final private var leafRequiresGrad: Bool
    /// Set on a gradient the backward pass made and has shown to no code outside its
    /// arithmetic rules (no hook, capture, observer or rule that may return a view of it):
    /// while the pass holds the only reference, a rule may overwrite its values, and the
    /// pass may add other gradients into it, instead of allocating a new gradient.
    @exclusivity(unchecked) final var isPassPrivate = false
    /// The rarely used parts, made on first use, so that an ordinary tensor stays small.
    @exclusivity(unchecked) final private var extras: TensorExtras?

    /// The rarely used parts, made if missing.
    private final var madeExtras: TensorExtras {
        if let extras { return extras }
        let made = TensorExtras()
        extras = made
        return made
    }

    /// A tensor over `array`, a leaf that requires grad when `requiresGrad` is true (only
    /// floating-point tensors can).
    public init(_ array: consuming NDArray, requiresGrad: Bool = false) {
        if requiresGrad { Tensor.checkCanRequireGrad(array.dtype) }
        self.array = array
        self.leafRequiresGrad = requiresGrad
    }

    /// Stops with PyTorch's message unless tensors of `dtype` can require gradients.
    static func checkCanRequireGrad(_ dtype: DType) {
        checkUsage(dtype.isFloatingPoint, "Only Tensors of floating point and complex dtype can require gradients")
    }

    /// A non-leaf made by `gradFn`.
    init(_ array: consuming NDArray, gradFn: Node) {
        self.array = array
        self.history = gradFn
        self.leafRequiresGrad = false
    }

    /// A tensor over `array` with the given history (a leaf when `history` is nil).
    convenience init(_ array: NDArray, history: Node?) {
        if let history { self.init(array, gradFn: history) } else { self.init(array) }
    }

    /// Whether gradients flow to this tensor: set on leaves, derived on results.
    ///
    /// Only a leaf's flag can be changed, as in PyTorch.
    public final var requiresGrad: Bool {
        @inline(__always) get { gradFn != nil || leafRequiresGrad }
        set {
            checkUsage(
                isLeaf || newValue,
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
            if newValue { Tensor.checkCanRequireGrad(dtype) }
            leafRequiresGrad = newValue
        }
    }

    /// True for tensors not made by a recorded operation (user-created, or results that
    /// do not require grad).
    public final var isLeaf: Bool { gradFn == nil }

    /// The size of each dimension.
    public final var shape: [Int] { array.shape }
    /// The number of dimensions.
    public final var rank: Int { array.rank }
    /// The number of elements.
    public final var count: Int { array.count }
    /// The element type, like `tensor.dtype`.
    public final var dtype: DType { array.dtype }

    /// The values in row-major order, whatever the strides.
    public var scalars: [Float] { array.scalars }

    /// The value of a one-element tensor.
    public func item() -> Float { array.scalarValue }

    /// A tensor sharing this one's storage, cut from the graph: no `gradFn`, and it does
    /// not require grad. Gradients do not flow through it.
    public func detach() -> Tensor {
        let result = Tensor(array)
        if RecordingContext.current.tracing { result.trace = Node(op: .detach, edges: EdgeList(gradientEdge), output: array) }
        return result
    }

    /// Cuts this tensor from the graph in place, like `detach_()`: it becomes a leaf that
    /// does not require grad, keeping its values. A view cannot be detached in place
    /// (use ``detach()``), as in PyTorch.
    public func detachInPlace() {
        checkUsage(viewOrigin == nil, "Can't detach views in-place. Use detach() instead.")
        setHistory(nil)
        retainsGradient = false
        leafRequiresGrad = false
    }

    /// Gives this tensor the name it has in the user's code (for graph drawings) and
    /// returns it: `let a = (x * w).named("a")`.
    @discardableResult
    public func named(_ label: String) -> Tensor {
        self.label = label
        return self
    }

    /// Clears this tensor's accumulated gradient (sets ``grad`` to nil, as PyTorch's
    /// `zero_grad(set_to_none=True)`).
    public func zeroGrad() { grad = nil }

    /// Keeps the gradient of a non-leaf in ``grad`` during backward (leaves always keep it).
    ///
    /// The gradient kept is that of the tensor's values at backward time: after an
    /// in-place op the op's node fills ``grad``, as in PyTorch.
    public func retainGrad() {
        guard let gradFn else { return }
        retainsGradient = true
        gradFn.retainedOutput = self
    }

    /// Whether ``grad`` will be filled for this non-leaf.
    public var retainsGrad: Bool { retainsGradient && !isLeaf }

    /// How many times this tensor's storage has been written in place (PyTorch's
    /// `_version`). Views share the counter with the tensor they view.
    public var version: Int { array.storage.version }

    /// The suffixes PyTorch's `repr` appends: the grad_fn, or `requires_grad=True` on a leaf.
    var reprSuffixes: [String] {
        if let gradFn { return ["grad_fn=<\(gradFn.name)>"] }
        return requiresGrad ? ["requires_grad=True"] : []
    }

    /// PyTorch's `repr`, e.g. `tensor([4.], grad_fn=<PowBackward0>)`.
    public var description: String {
        TensorFormatter.repr(array, suffixes: reprSuffixes)
    }
}

/// A leaf tensor that requires grad and is a model's learnable value, like
/// `torch.nn.Parameter`. It shares storage with the tensor it wraps.
public final class Parameter: Tensor, @unchecked Sendable {
    /// Wraps `tensor`'s values (sharing its storage) as a parameter.
    public init(_ tensor: Tensor, requiresGrad: Bool = true) {
        super.init(tensor.array, requiresGrad: requiresGrad)
    }

    /// PyTorch's `repr`: `Parameter containing:` and the tensor on the next line.
    public override var description: String { "Parameter containing:\n" + super.description }
}

/// What few tensors need, kept out of line so ordinary tensors stay small: the label, the
/// drawing trace, hooks and the retain-grad flag.
final class TensorExtras {
    var label: String?
    var trace: Node?
    var gradientHooks = GradientHooks()
    var retainsGradient = false
}
