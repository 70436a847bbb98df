import AutogradCore
import AutogradEngine

/// The Kullback–Leibler divergence loss, like `torch.nn.functional.kl_div`:
/// `target·(log target - input)` per element, where `input` holds log-probabilities;
/// with `logTarget` the target is given as log-probabilities too and the element is
/// `e^target·(target - input)`.
///
/// A target of 0 contributes 0 (as `xlogy` has it). Use `reduction: .batchMean` for the
/// divergence per sample (the sum divided by the first dimension); `.mean` divides by the
/// number of elements, as PyTorch's `'mean'` does.
/// ```swift
/// let loss = klDivLoss(student.logSoftmax(dim: 1), teacher.softmax(dim: 1), reduction: .batchMean)
/// ```
public func klDivLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, logTarget: Bool = false) -> Tensor {
    let losses: Tensor
    if logTarget {
        losses = target.exp() * (target - input)
    } else {
        // xlogy(target, target): the logarithm of 1 where the target is 0, so neither the
        // value nor the gradient sees log 0.
        let zero = target .== 0
        let safe = Tensor.where(zero, Tensor.ones([], dtype: target.dtype), target)
        losses = target * safe.log() - target * input
    }
    guard reduction == .batchMean else { return reduction.apply(losses) }
    return input.rank == 0 ? losses.sum() : losses.sum() / Double(input.shape[0])
}

/// The Kullback–Leibler divergence as a loss object, like `torch.nn.KLDivLoss`; see
/// ``klDivLoss(_:_:reduction:logTarget:)``.
public struct KLDivLoss: Sendable {
    /// How the per-element losses are combined (`.batchMean` for the per-sample divergence).
    public var reduction: Reduction
    /// Whether the target is given as log-probabilities.
    public var logTarget: Bool
    /// A loss with the given reduction and target form.
    public init(reduction: Reduction = .mean, logTarget: Bool = false) {
        self.reduction = reduction
        self.logTarget = logTarget
    }
    /// `klDivLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        klDivLoss(input, target, reduction: reduction, logTarget: logTarget)
    }
}
