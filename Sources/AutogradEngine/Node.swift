import AutogradCore

/// Where a gradient goes next: into another node, or into a leaf's `grad`
/// (PyTorch's AccumulateGrad).
public enum Edge {
    /// The node that made the input.
    case node(Node)
    /// A leaf that requires grad; its gradient accumulates in `grad`.
    case leaf(Tensor)
}

/// The values a backward rule needs, saved at forward time and freed after backward
/// unless the graph is retained.
struct SavedValues {
    /// The first input, when the rule needs it.
    var first: Tensor?
    /// The second input, when the rule needs it.
    var second: Tensor?
    /// The forward result (kept as values only, to avoid a cycle through the node).
    var result: NDArray?
    /// A constant the rule needs, such as the positions of the maxima.
    var constant: NDArray?

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
    /// One edge per input; nil where that input does not require grad.
    public let nextEdges: [Edge?]
    /// The shape of each input, so gradients can be summed back after broadcasting.
    let inputShapes: [[Int]]
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
    /// Set by a backward pass inside `recordingGradientFlow`: the gradient of the output.
    public internal(set) var recordedOutputGradient: NDArray?
    /// Set by a backward pass inside `recordingGradientFlow`: the gradient sent along each
    /// edge (already summed to the input's shape), nil where none was sent.
    public internal(set) var recordedEdgeGradients: [NDArray?] = []

    /// Gradient summed from the edges processed so far in the running backward pass.
    var pendingGradient: Tensor?
    /// Edges still to arrive in the running backward pass.
    var pendingDependencies = 0

    init(op: Op, nextEdges: [Edge?], output: NDArray, inputShapes: [[Int]], saved: SavedValues) {
        self.op = op
        self.nextEdges = nextEdges
        self.outputValue = output
        self.inputShapes = inputShapes
        self.saved = saved
        self.scopePath = GraphRecording.scopePath
    }

    /// The shape of the tensor this node made; incoming gradients have this shape.
    public var outputShape: [Int] { outputValue.shape }

    /// PyTorch's class name for this node, e.g. `MulBackward0`.
    public var name: String { op.name }

    /// The node's attributes as PyTorch shows them (`exponent`, `dim`, `stride`, ...),
    /// in a stable order.
    public var attributes: [(name: String, value: String)] { op.attributes }

    /// Frees the saved values (after a backward pass that does not retain the graph).
    /// A node that saved nothing can still be walked again, as in PyTorch.
    func releaseSavedValues() {
        if saved.isEmpty { return }
        saved = SavedValues()
        savedValuesReleased = true
    }
}
