import AutogradEngine

/// Updates parameters from their gradients, like `torch.optim.Optimizer`: call
/// ``step()`` after `backward()`, and ``zeroGrad()`` before the next one.
/// ```swift
/// let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
/// for (images, labels) in loader {
///     optimizer.zeroGrad()
///     let loss = crossEntropy(model(images), labels)
///     loss.backward()
///     optimizer.step()
/// }
/// ```
/// Parameters whose `grad` is nil (frozen with `requiresGrad = false`, or unused) are
/// skipped, as in PyTorch.
public protocol Optimizer: AnyObject {
    /// The parameters being optimised, in order.
    var parameters: [Parameter] { get }
    /// The current learning rate; schedulers change it between steps.
    var learningRate: Float { get set }
    /// Updates every parameter that has a gradient.
    func step()
}

extension Optimizer {
    /// Clears the gradient of every parameter (sets it to nil), like `zero_grad()`.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}
