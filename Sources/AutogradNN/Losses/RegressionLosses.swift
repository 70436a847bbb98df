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
