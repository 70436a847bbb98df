import AutogradCore
import Foundation

/// Multiplies the learning rates by `gamma` every `stepSize` epochs, like
/// `torch.optim.lr_scheduler.StepLR`: `lr = baseLR · gamma^⌊epoch / stepSize⌋`.
public final class StepLR: LRScheduler, ScheduleStepping {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// Epochs between decays.
    public let stepSize: Int
    /// The factor applied at each decay.
    public let gamma: Float
    var schedule = ScheduleState()
    private let factor: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) {
        checkUsage(stepSize > 0, "StepLR: step_size must be positive, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
        factor = Double(decimal: gamma)
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
        let epoch = schedule.lastEpoch
        if epoch == 0 || epoch % stepSize != 0 { return currentLRs }
        return currentLRs.map { $0 * factor }
    }

    func closedFormLearningRates() -> [Double]? {
        schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(schedule.lastEpoch / stepSize)) }
    }

    var configuration: [String: Double] { ["step_size": Double(stepSize), "gamma": factor] }

    /// The state: the epoch, the base and last learning rates, and the settings.
    public func stateDict() -> StateDict { scheduleStateDict() }
    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try loadSchedule(stateDict) }
}

/// Multiplies the learning rates by `gamma` at each milestone epoch, like
/// `torch.optim.lr_scheduler.MultiStepLR`: `lr = baseLR · gamma^(milestones passed)`. A
/// milestone listed twice multiplies by `gamma²`.
public final class MultiStepLR: LRScheduler, ScheduleStepping {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// The epochs at which the learning rates decay, sorted.
    public let milestones: [Int]
    /// The factor applied at each milestone.
    public let gamma: Float
    var schedule = ScheduleState()
    private let factor: Double
    private let counts: [Int: Int]

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, milestones: [Int], gamma: Float = 0.1) {
        self.optimizer = optimizer
        self.milestones = milestones.sorted()
        self.gamma = gamma
        factor = Double(decimal: gamma)
        counts = Dictionary(milestones.map { ($0, 1) }, uniquingKeysWith: +)
        start()
    }

    /// The number of ``step()`` calls so far.
    public var epoch: Int { schedule.lastEpoch }
    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { schedule.lastLRs.map(Float.init) }

    /// Moves to the next epoch and sets the optimizer's learning rates for it.
    public func step() { advance() }

    func nextLearningRates(initial: Bool) -> [Double] {
        guard let count = counts[schedule.lastEpoch] else { return currentLRs }
        return currentLRs.map { $0 * Foundation.pow(factor, Double(count)) }
    }

    func closedFormLearningRates() -> [Double]? {
        let passed = bisectRight(milestones, schedule.lastEpoch)
        return schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(passed)) }
    }

    var configuration: [String: Double] {
        var configuration = ["gamma": factor, "milestones.count": Double(milestones.count)]
        for (index, milestone) in milestones.enumerated() { configuration["milestones.\(index)"] = Double(milestone) }
        return configuration
    }

    /// The state: the epoch, the base and last learning rates, and the settings.
    public func stateDict() -> StateDict { scheduleStateDict() }
    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try loadSchedule(stateDict) }
}

/// Multiplies the learning rates by `gamma` every epoch, like
/// `torch.optim.lr_scheduler.ExponentialLR`: `lr = baseLR · gamma^epoch`.
public final class ExponentialLR: LRScheduler, ScheduleStepping {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// The factor applied each epoch.
    public let gamma: Float
    var schedule = ScheduleState()
    private let factor: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, gamma: Float) {
        self.optimizer = optimizer
        self.gamma = gamma
        factor = Double(decimal: gamma)
        start()
    }

    /// The number of ``step()`` calls so far.
    public var epoch: Int { schedule.lastEpoch }
    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { schedule.lastLRs.map(Float.init) }

    /// Moves to the next epoch and sets the optimizer's learning rates for it.
    public func step() { advance() }

    func nextLearningRates(initial: Bool) -> [Double] {
        initial ? currentLRs : currentLRs.map { $0 * factor }
    }

    func closedFormLearningRates() -> [Double]? {
        schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(schedule.lastEpoch)) }
    }

    var configuration: [String: Double] { ["gamma": factor] }

    /// The state: the epoch, the base and last learning rates, and the settings.
    public func stateDict() -> StateDict { scheduleStateDict() }
    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try loadSchedule(stateDict) }
}
