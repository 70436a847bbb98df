/// An error found while running backward, with PyTorch's wording.
public struct AutogradError: Error, CustomStringConvertible, Equatable {
    /// The message, as PyTorch words it where PyTorch has one.
    public let message: String
    /// An error with the given message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }

    static let nonScalarOutput = AutogradError("grad can be implicitly created only for scalar outputs")
    static let noGradFn = AutogradError(
        "element 0 of tensors does not require grad and does not have a grad_fn")
    static func savedValuesFreed(_ node: String) -> AutogradError {
        AutogradError(
            "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward. (in \(node))")
    }
}
