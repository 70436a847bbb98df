import AutogradCore

/// An error found while running backward or a functional transform. Each case carries the
/// node, shapes or counts involved; ``message`` words it as PyTorch does.
public enum AutogradError: Error, CustomStringConvertible, Equatable {
    /// `backward()` without a gradient on an output with more than one element.
    case nonScalarOutput
    /// `backward()` on output `index` that does not require grad.
    case outputDoesNotRequireGrad(index: Int)
    /// `backward(inputs: [])`.
    case emptyBackwardInputs
    /// `backward(inputs:)` naming a tensor that does not require grad.
    case backwardInputDoesNotRequireGrad
    /// `grad(outputs:inputs:)` with an input that does not require grad.
    case differentiatedInputDoesNotRequireGrad
    /// `grad(outputs:inputs:gradOutputs:)` with a gradient count that differs from the outputs'.
    case gradOutputCount(given: Int, outputs: Int)
    /// `grad(..., allowUnused: false)` with an input the outputs do not depend on.
    case unusedInput(index: Int)
    /// A given output gradient whose shape differs from the output's.
    case gradOutputShape(given: [Int], output: [Int])
    /// A second backward through a node whose saved values were freed by the first.
    case savedValuesFreed(node: String)
    /// A value `node` saved that was modified in place before backward read it; `producer`
    /// is the op that made the value (nil for a leaf).
    case savedValueModified(
        node: String, shape: [Int], dtype: DType, producer: String?, version: Int, expectedVersion: Int)
    /// A node's rule that found none of the value it declared it saves (an engine bug).
    case savedValueMissing(node: String)
    /// A gradient with NaN or infinite values, found in anomaly mode.
    case anomalousGradient(node: String, index: Int, isNaN: Bool, creationSite: String?)
    /// A node post-hook that returned the wrong number of gradients.
    case hookGradientCount(returned: Int, expected: Int)
    /// A custom function whose backward returned the wrong number of gradients.
    case customFunctionGradientCount(function: String, returned: Int, expected: Int)
    /// Backward through an op PyTorch records but does not differentiate (`unique`).
    case derivativeNotImplemented(function: String)

    /// What went wrong, in PyTorch's words where PyTorch has them.
    public var message: String {
        switch self {
        case .nonScalarOutput:
            return "grad can be implicitly created only for scalar outputs"
        case .outputDoesNotRequireGrad(let index):
            return "element \(index) of tensors does not require grad and does not have a grad_fn"
        case .emptyBackwardInputs:
            return "`inputs` argument to `backward()` cannot be empty."
        case .backwardInputDoesNotRequireGrad:
            return "can't retain_grad on Tensor that has requires_grad=False"
        case .differentiatedInputDoesNotRequireGrad:
            return "One of the differentiated Tensors does not require grad"
        case .gradOutputCount(let given, let outputs):
            return "grad: got \(given) gradOutputs for \(outputs) outputs"
        case .unusedInput(let index):
            return "The differentiated Tensor at index \(index) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior."
        case .gradOutputShape(let given, let output):
            return "Mismatch in shape: grad_output[0] has a shape of \(given) and output[0] has a shape of \(output)."
        case .savedValuesFreed(let node):
            return "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward. (in \(node))"
        case .savedValueModified(_, let shape, let dtype, let producer, let version, let expected):
            let owner = producer.map { ", which is output 0 of \(Self.functionName($0))," } ?? ""
            return "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.\(dtype.scalarTypeName)Tensor \(shape)]\(owner) is at version \(version); expected version \(expected) instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with detectAnomaly { ... }."
        case .savedValueMissing(let node):
            return "\(node): a value the backward rule needs was not saved"
        case .anomalousGradient(let node, let index, let isNaN, let site):
            let origin = site.map { " The op was created at \($0)." } ?? ""
            return "Function '\(node)' returned \(isNaN ? "nan" : "infinite") values in its \(index)th output.\(origin)"
        case .hookGradientCount(let returned, let expected):
            return "hook has returned an incorrect number of values (got \(returned), but expected \(expected))"
        case .customFunctionGradientCount(let function, let returned, let expected):
            return "function \(function) returned an incorrect number of gradients (expected \(expected), got \(returned))"
        case .derivativeNotImplemented(let function):
            return "the derivative for '\(function)' is not implemented."
        }
    }

    /// The message.
    public var description: String { message }

    /// A node's name as PyTorch names the function in errors: `MulBackward0` -> `Mul`.
    private static func functionName(_ node: String) -> String {
        guard let range = node.range(of: "Backward", options: .backwards) else { return node }
        return String(node[..<range.lowerBound])
    }
}
