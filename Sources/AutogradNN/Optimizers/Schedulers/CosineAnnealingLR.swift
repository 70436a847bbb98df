import AutogradCore
import Foundation

/// Anneals the learning rates along a cosine from their base values to `etaMin` over
/// `tMax` epochs, like `torch.optim.lr_scheduler.CosineAnnealingLR`:
/// `lr = etaMin + (baseLR - etaMin)·(1 + cos(π·epoch / tMax)) / 2`, computed step by step
/// with PyTorch's recursive form (past `tMax` the cosine rises again).
public final class CosineAnnealingLR: EpochLRScheduler {
    /// The number of epochs of the half cosine.
    public let tMax: Int
    /// The smallest learning rate.
    public let etaMin: Float
    private let minimum: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, tMax: Int, etaMin: Float = 0) {
        checkUsage(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        self.tMax = tMax
        self.etaMin = etaMin
        minimum = Double(decimal: etaMin)
        super.init(optimizer: optimizer)
        start()
    }

    /// The first group's learning rate at epoch 0.
    public var baseLearningRate: Float { Float(schedule.baseLRs[0]) }

    override func nextLearningRates(initial: Bool) -> [Double] {
        if initial { return currentLRs }
        let epoch = Double(schedule.lastEpoch), period = Double(tMax)
        if (schedule.lastEpoch - 1 - tMax) % (2 * tMax) == 0 {
            return zip(schedule.baseLRs, currentLRs).map { base, lr in
                lr + (base - minimum) * (1 - Foundation.cos(Double.pi / period)) / 2
            }
        }
        let ratio = (1 + Foundation.cos(Double.pi * epoch / period)) / (1 + Foundation.cos(Double.pi * (epoch - 1) / period))
        return currentLRs.map { ratio * ($0 - minimum) + minimum }
    }

    override func closedFormLearningRates() -> [Double]? {
        let cosine = 1 + Foundation.cos(Double.pi * Double(schedule.lastEpoch) / Double(tMax))
        return schedule.baseLRs.map { minimum + ($0 - minimum) * cosine / 2 }
    }

    override var configuration: [String: Double] { ["T_max": Double(tMax), "eta_min": minimum] }
}
