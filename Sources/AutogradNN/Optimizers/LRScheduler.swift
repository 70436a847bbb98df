import AutogradCore
import Foundation

/// Changes an optimizer's learning rate once per epoch, like
/// `torch.optim.lr_scheduler.LRScheduler`: call ``step()`` after each epoch's optimizer steps.
public protocol LRScheduler: AnyObject {
    /// The optimizer whose learning rate is set.
    var optimizer: any Optimizer { get }
    /// The number of ``step()`` calls so far (PyTorch's `last_epoch`).
    var epoch: Int { get }
    /// Moves to the next epoch and sets the optimizer's learning rate for it.
    func step()
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs, like
/// `torch.optim.lr_scheduler.StepLR`: `lr = baseLR · gamma^⌊epoch / stepSize⌋`.
public final class StepLR: LRScheduler {
    /// The optimizer whose learning rate is set.
    public let optimizer: any Optimizer
    /// Epochs between decays.
    public let stepSize: Int
    /// The factor applied at each decay.
    public let gamma: Float
    /// The learning rate at epoch 0.
    public let baseLearningRate: Float
    /// The number of ``step()`` calls so far.
    public private(set) var epoch = 0

    /// A schedule starting from the optimizer's current learning rate.
    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) {
        checkUsage(stepSize > 0, "StepLR: step_size must be positive, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
        baseLearningRate = optimizer.learningRate
    }

    /// Moves to the next epoch and sets the optimizer's learning rate for it.
    public func step() {
        epoch += 1
        optimizer.learningRate = Float(Double(baseLearningRate) * Foundation.pow(Double(gamma), Double(epoch / stepSize)))
    }
}

/// Anneals the learning rate along a cosine from its base value to `etaMin` over `tMax`
/// epochs, like `torch.optim.lr_scheduler.CosineAnnealingLR`:
/// `lr = etaMin + (baseLR - etaMin)·(1 + cos(π·epoch / tMax)) / 2`.
public final class CosineAnnealingLR: LRScheduler {
    /// The optimizer whose learning rate is set.
    public let optimizer: any Optimizer
    /// The number of epochs of the half cosine.
    public let tMax: Int
    /// The smallest learning rate.
    public let etaMin: Float
    /// The learning rate at epoch 0.
    public let baseLearningRate: Float
    /// The number of ``step()`` calls so far.
    public private(set) var epoch = 0

    /// A schedule starting from the optimizer's current learning rate.
    public init(optimizer: any Optimizer, tMax: Int, etaMin: Float = 0) {
        checkUsage(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        self.optimizer = optimizer
        self.tMax = tMax
        self.etaMin = etaMin
        baseLearningRate = optimizer.learningRate
    }

    /// Moves to the next epoch and sets the optimizer's learning rate for it.
    public func step() {
        epoch += 1
        let cosine = (1 + Foundation.cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        optimizer.learningRate = Float(Double(etaMin) + Double(baseLearningRate - etaMin) * cosine)
    }
}
