import AutogradCore
import AutogradEngine

/// The squared error, like `torch.nn.functional.mse_loss`: `(input - target)²`, reduced.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape("mse_loss", input, target)
    let difference = input - target
    return reduction.apply(difference * difference)
}

/// The absolute error, like `torch.nn.functional.l1_loss`: `|input - target|`, reduced.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape("l1_loss", input, target)
    return reduction.apply((input - target).abs())
}

/// The smooth L1 loss, like `torch.nn.functional.smooth_l1_loss`: per element,
/// `0.5·d²/β` where `|d| < β` and `|d| - 0.5·β` elsewhere (`d = input - target`), reduced.
/// β = 0 gives the L1 loss.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Float = 1) -> Tensor {
    checkSameShape("smooth_l1_loss", input, target)
    checkUsage(beta >= 0, "smooth_l1_loss does not support negative values for beta.")
    let difference = input - target
    let absolute = difference.abs()
    guard beta > 0 else { return reduction.apply(absolute) }
    let quadratic = difference * difference * (0.5 / beta)
    return reduction.apply(Tensor.where(absolute .< Double(beta), quadratic, absolute - 0.5 * beta))
}

/// The Huber loss, like `torch.nn.functional.huber_loss`: per element, `0.5·d²` where
/// `|d| < δ` and `δ·(|d| - 0.5·δ)` elsewhere (`d = input - target`), reduced. It is the
/// smooth L1 loss with β = δ, times δ.
public func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Float = 1) -> Tensor {
    checkSameShape("huber_loss", input, target)
    checkUsage(delta > 0, "huber_loss does not support non-positive values for delta.")
    let difference = input - target
    let absolute = difference.abs()
    let quadratic = difference * difference * 0.5
    return reduction.apply(Tensor.where(absolute .< Double(delta), quadratic, (absolute - 0.5 * delta) * delta))
}

/// The mean squared error as a loss object, like `torch.nn.MSELoss`.
/// ```swift
/// let criterion = MSELoss()
/// let loss = criterion(prediction, target)
/// ```
public struct MSELoss: Sendable {
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// A loss with the given reduction (the mean by default).
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// `mseLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { mseLoss(input, target, reduction: reduction) }
}

/// The mean absolute error as a loss object, like `torch.nn.L1Loss`.
public struct L1Loss: Sendable {
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// A loss with the given reduction (the mean by default).
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// `l1Loss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { l1Loss(input, target, reduction: reduction) }
}

/// The smooth L1 loss as a loss object, like `torch.nn.SmoothL1Loss`; see
/// ``smoothL1Loss(_:_:reduction:beta:)``.
public struct SmoothL1Loss: Sendable {
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// Where the loss turns from quadratic to linear.
    public var beta: Float
    /// A loss with the given reduction and β.
    public init(reduction: Reduction = .mean, beta: Float = 1) {
        self.reduction = reduction
        self.beta = beta
    }
    /// `smoothL1Loss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        smoothL1Loss(input, target, reduction: reduction, beta: beta)
    }
}

/// The Huber loss as a loss object, like `torch.nn.HuberLoss`; see
/// ``huberLoss(_:_:reduction:delta:)``.
public struct HuberLoss: Sendable {
    /// How the per-element losses are combined.
    public var reduction: Reduction
    /// Where the loss turns from quadratic to linear.
    public var delta: Float
    /// A loss with the given reduction and δ.
    public init(reduction: Reduction = .mean, delta: Float = 1) {
        self.reduction = reduction
        self.delta = delta
    }
    /// `huberLoss(input, target)`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        huberLoss(input, target, reduction: reduction, delta: delta)
    }
}
