import AutogradCore

/// What a ``CustomFunction``'s forward leaves for its backward, like PyTorch's `ctx`.
public final class FunctionContext {
    /// The saved tensors; the function's own output is saved as an output, whose history
    /// is the function's node.
    private var saved: [SavedTensor] = []
    private var unpacked: [Tensor] = []
    private var released = false
    /// Values other than tensors that backward needs (sizes, constants, flags).
    public var userInfo: [String: Any] = [:]

    /// Saves tensors for backward, like `ctx.save_for_backward`. Changing one in place
    /// before backward makes backward fail with PyTorch's version error.
    public func saveForBackward(_ tensors: Tensor...) {
        saved.append(contentsOf: tensors.map(SavedTensor.init))
    }

    /// Marks saved tensors that are the function's output, so that, as in PyTorch, they
    /// unpack with the function's node as their history and double backward flows
    /// through it.
    func adoptOutput(_ output: NDArray) {
        for (index, tensor) in saved.enumerated() where tensor.isInput(viewing: output) {
            saved[index] = SavedTensor(output: output)
        }
    }

    /// The tensors saved in forward, in order (available inside backward).
    public var savedTensors: [Tensor] { unpacked }

    /// Checks and unpacks the saved tensors before backward runs.
    func unpack(in node: Node) throws(AutogradError) {
        if released { throw .savedValuesFreed(node: node.name) }
        var tensors: [Tensor] = []
        for tensor in saved { tensors.append(try tensor.unpack(in: node, history: node)) }
        unpacked = tensors
    }

    /// Frees the saved tensors after a backward pass that does not retain the graph.
    func release() {
        if saved.isEmpty { return }
        saved = []
        unpacked = []
        released = true
    }
}

/// A differentiable operation defined by its user, like `torch.autograd.Function`: a
/// forward that computes the value and a backward that maps the output's gradient to one
/// gradient per input.
///
/// ```swift
/// enum ScaledExp: CustomFunction {
///     static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor {
///         let y = inputs[0].exp() * 2
///         context.saveForBackward(y)
///         return y
///     }
///     static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?] {
///         [gradient * context.savedTensors[0]]
///     }
/// }
/// let y = ScaledExp.apply(x)        // y.gradFn?.name == "ScaledExpBackward"
/// ```
/// Forward runs without recording; backward is written with tensor ops, so with
/// `createGraph: true` it is recorded and can be differentiated again.
public protocol CustomFunction {
    /// Computes the output from the inputs, saving what backward needs in `context`.
    static func forward(_ context: FunctionContext, _ inputs: [Tensor]) -> Tensor
    /// The gradient for each input (nil where none) given the output's `gradient`.
    static func backward(_ context: FunctionContext, _ gradient: Tensor) -> [Tensor?]
}

extension CustomFunction {
    /// Runs the function on `inputs` and records it on the graph.
    public static func apply(_ inputs: Tensor...) -> Tensor { apply(inputs) }

    /// Runs the function on `inputs` and records it on the graph.
    public static func apply(_ inputs: [Tensor]) -> Tensor {
        let context = FunctionContext()
        let output = noGrad { forward(context, inputs) }
        let rule = CustomFunctionRule(name: "\(Self.self)Backward", context: context, backward: backward)
        let result = Tensor.record(output.array, .custom(rule), inputs: inputs)
        context.adoptOutput(output.array)
        return result
    }
}

/// A user-defined backward rule as the graph holds it.
final class CustomFunctionRule {
    /// The node's name, the function's type name followed by `Backward`.
    let name: String
    /// What forward saved.
    let context: FunctionContext
    /// The user's backward.
    let backward: (FunctionContext, Tensor) -> [Tensor?]

    init(name: String, context: FunctionContext, backward: @escaping (FunctionContext, Tensor) -> [Tensor?]) {
        self.name = name
        self.context = context
        self.backward = backward
    }

    /// Runs the user's backward, checking it returned one gradient per input.
    func gradients(_ gradient: Tensor, node: Node) throws(AutogradError) -> [Tensor?] {
        try context.unpack(in: node)
        let result = backward(context, gradient)
        guard result.count == node.edges.count else {
            throw .customFunctionGradientCount(function: name, returned: result.count, expected: node.edges.count)
        }
        return result
    }
}
