import AutogradCore
import Foundation

/// Multiplies the learning rates by `gamma` every `stepSize` epochs, like
/// `torch.optim.lr_scheduler.StepLR`: `lr = baseLR · gamma^⌊epoch / stepSize⌋`.
public final class StepLR: EpochLRScheduler {
    /// Epochs between decays.
    public let stepSize: Int
    /// The factor applied at each decay.
    public let gamma: Float
    private let factor: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) {
        checkUsage(stepSize > 0, "StepLR: step_size must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
        factor = Double(decimal: gamma)
        super.init(optimizer: optimizer)
        start()
    }

    /// The first group's learning rate at epoch 0.
    public var baseLearningRate: Float { Float(schedule.baseLRs[0]) }

    override func nextLearningRates(initial: Bool) -> [Double] {
        let epoch = schedule.lastEpoch
        if epoch == 0 || epoch % stepSize != 0 { return currentLRs }
        return currentLRs.map { $0 * factor }
    }

    override func closedFormLearningRates() -> [Double]? {
        schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(schedule.lastEpoch / stepSize)) }
    }

    override var configuration: [String: Double] { ["step_size": Double(stepSize), "gamma": factor] }
}

/// Multiplies the learning rates by `gamma` at each milestone epoch, like
/// `torch.optim.lr_scheduler.MultiStepLR`: `lr = baseLR · gamma^(milestones passed)`. A
/// milestone listed twice multiplies by `gamma²`.
public final class MultiStepLR: EpochLRScheduler {
    /// The epochs at which the learning rates decay, sorted.
    public let milestones: [Int]
    /// The factor applied at each milestone.
    public let gamma: Float
    private let factor: Double
    private let counts: [Int: Int]

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, milestones: [Int], gamma: Float = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        factor = Double(decimal: gamma)
        counts = Dictionary(milestones.map { ($0, 1) }, uniquingKeysWith: +)
        super.init(optimizer: optimizer)
        start()
    }

    override func nextLearningRates(initial: Bool) -> [Double] {
        guard let count = counts[schedule.lastEpoch] else { return currentLRs }
        return currentLRs.map { $0 * Foundation.pow(factor, Double(count)) }
    }

    override func closedFormLearningRates() -> [Double]? {
        let passed = bisectRight(milestones, schedule.lastEpoch)
        return schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(passed)) }
    }

    override var configuration: [String: Double] {
        var configuration = ["gamma": factor, "milestones.count": Double(milestones.count)]
        for (index, milestone) in milestones.enumerated() { configuration["milestones.\(index)"] = Double(milestone) }
        return configuration
    }
}

/// Multiplies the learning rates by `gamma` every epoch, like
/// `torch.optim.lr_scheduler.ExponentialLR`: `lr = baseLR · gamma^epoch`.
public final class ExponentialLR: EpochLRScheduler {
    /// The factor applied each epoch.
    public let gamma: Float
    private let factor: Double

    /// A schedule starting from the optimizer's current learning rates.
    public init(optimizer: any Optimizer, gamma: Float) {
        self.gamma = gamma
        factor = Double(decimal: gamma)
        super.init(optimizer: optimizer)
        start()
    }

    override func nextLearningRates(initial: Bool) -> [Double] {
        initial ? currentLRs : currentLRs.map { $0 * factor }
    }

    override func closedFormLearningRates() -> [Double]? {
        schedule.baseLRs.map { $0 * Foundation.pow(factor, Double(schedule.lastEpoch)) }
    }

    override var configuration: [String: Double] { ["gamma": factor] }
}
