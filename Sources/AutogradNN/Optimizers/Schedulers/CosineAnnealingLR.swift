import AutogradCore
import Foundation

/// Anneals the learning rates along a cosine from their base values to `etaMin` over
/// `tMax` epochs, like `torch.optim.lr_scheduler.CosineAnnealingLR`:
/// `lr = etaMin + (baseLR - etaMin)·(1 + cos(π·epoch / tMax)) / 2`, computed step by step
/// with PyTorch's recursive form (past `tMax` the cosine rises again).
public final class CosineAnnealingLR: LRScheduler, ScheduleStepping {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// The number of epochs of the half cosine.
    public let tMax: Int
    /// The smallest learning rate.
    public let etaMin: Float
    var schedule = ScheduleState()
    private let minimum: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, tMax: Int, etaMin: Float = 0) {
        checkUsage(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        self.optimizer = optimizer
        self.tMax = tMax
        self.etaMin = etaMin
        minimum = Double(decimal: etaMin)
        start()
    }

    /// The first group's learning rate at epoch 0.
    public var baseLearningRate: Float { Float(schedule.baseLRs[0]) }
    /// The number of ``step()`` calls so far.
    public var epoch: Int { schedule.lastEpoch }
    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { schedule.lastLRs.map(Float.init) }

    /// Moves to the next epoch and sets the optimizer's learning rates for it.
    public func step() { advance() }

    func nextLearningRates(initial: Bool) -> [Double] {
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

    func closedFormLearningRates() -> [Double]? {
        let cosine = 1 + Foundation.cos(Double.pi * Double(schedule.lastEpoch) / Double(tMax))
        return schedule.baseLRs.map { minimum + ($0 - minimum) * cosine / 2 }
    }

    var configuration: [String: Double] { ["T_max": Double(tMax), "eta_min": minimum] }

    /// The state: the epoch, the base and last learning rates, and the settings.
    public func stateDict() -> StateDict { scheduleStateDict() }
    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try loadSchedule(stateDict) }
}
