import AutogradCore

/// Scales the learning rates by a factor that moves linearly from `startFactor` to
/// `endFactor` over `totalIters` epochs and then stays, like
/// `torch.optim.lr_scheduler.LinearLR`:
/// `lr = baseLR · (startFactor + (endFactor - startFactor) · min(epoch, totalIters) / totalIters)`,
/// computed step by step with PyTorch's recursive form. A common warm-up.
public final class LinearLR: EpochLRScheduler {
    /// The factor at epoch 0.
    public let startFactor: Float
    /// The factor from epoch `totalIters` on.
    public let endFactor: Float
    /// The number of epochs the factor takes to reach `endFactor`.
    public let totalIters: Int
    private let startValue: Double, endValue: Double

    /// A schedule from the optimizer's current learning rates; making it scales them by
    /// `startFactor` at once. The default, the `Float` nearest 1/3, is taken as the double
    /// 1/3 that PyTorch's default is.
    public init(optimizer: any Optimizer, startFactor: Float = 1.0 / 3, endFactor: Float = 1, totalIters: Int = 5) {
        checkUsage(startFactor > 0 && startFactor <= 1,
                   "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        checkUsage(endFactor >= 0 && endFactor <= 1, "Ending multiplicative factor expected to be between 0 and 1.")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        startValue = startFactor == Float(1.0 / 3) ? 1.0 / 3 : Double(decimal: startFactor)
        endValue = Double(decimal: endFactor)
        super.init(optimizer: optimizer)
        start()
    }

    override func nextLearningRates(initial: Bool) -> [Double] {
        let epoch = schedule.lastEpoch
        if epoch == 0 { return currentLRs.map { $0 * startValue } }
        if initial || epoch > totalIters { return currentLRs }
        let factor = 1.0 + (endValue - startValue) / (Double(totalIters) * startValue + Double(epoch - 1) * (endValue - startValue))
        return currentLRs.map { $0 * factor }
    }

    override func closedFormLearningRates() -> [Double]? {
        let factor = startValue + (endValue - startValue) * Double(Swift.min(totalIters, schedule.lastEpoch)) / Double(totalIters)
        return schedule.baseLRs.map { $0 * factor }
    }

    override var configuration: [String: Double] { ["start_factor": startValue, "end_factor": endValue, "total_iters": Double(totalIters)] }
}
