import AutogradCore
import AutogradEngine

/// How a loss combines the per-element losses, like PyTorch's `reduction` argument.
public enum Reduction: String, Sendable {
    /// The mean over all elements (PyTorch's default).
    case mean
    /// The sum over all elements.
    case sum
    /// No reduction: one loss per element.
    case none
    /// The sum divided by the batch size (the first dimension): the mathematical KL
    /// divergence per sample, PyTorch's `'batchmean'`. Only ``klDivLoss(_:_:reduction:logTarget:)``
    /// takes it.
    case batchMean = "batchmean"

    /// Applies the reduction to per-element losses.
    func apply(_ losses: Tensor) -> Tensor {
        switch self {
        case .mean: return losses.mean()
        case .sum: return losses.sum()
        case .none: return losses
        case .batchMean: usageFailure("batchmean is not a valid value for reduction")
        }
    }
}

/// Stops with PyTorch-style wording when a loss's input and target shapes differ.
func checkSameShape(_ op: String, _ input: Tensor, _ target: Tensor) {
    checkUsage(input.shape == target.shape,
                 "\(op): input of shape \(input.shape) and target of shape \(target.shape) must have the same shape")
}
