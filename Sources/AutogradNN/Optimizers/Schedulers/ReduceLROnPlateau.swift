import AutogradCore
import AutogradEngine

/// Lowers the learning rates when a metric stops improving, like
/// `torch.optim.lr_scheduler.ReduceLROnPlateau`: after more than `patience` epochs without
/// a better metric, each rate becomes `max(lr · factor, minLR)`, then `cooldown` epochs
/// pass before counting again.
/// ```swift
/// let scheduler = ReduceLROnPlateau(optimizer: optimizer, mode: .min, patience: 2)
/// for epoch in 0..<epochs {
///     train()
///     scheduler.step(metric: validationLoss())
/// }
/// ```
/// It is not an ``LRScheduler``: its step needs the metric.
public final class ReduceLROnPlateau {
    /// Whether lower or higher metrics are better.
    public enum Mode: String, Sendable {
        /// Lower is better (a loss).
        case min
        /// Higher is better (an accuracy).
        case max
    }

    /// How much better a metric must be to count as an improvement.
    public enum ThresholdMode: String, Sendable {
        /// Better than `best · (1 ∓ threshold)`.
        case rel
        /// Better than `best ∓ threshold`.
        case abs
    }

    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// Whether lower or higher metrics are better.
    public let mode: Mode
    /// The factor a reduction multiplies the rates by.
    public let factor: Float
    /// The number of epochs without improvement that are tolerated.
    public let patience: Int
    /// The least improvement that counts.
    public let threshold: Float
    /// Whether `threshold` is relative or absolute.
    public let thresholdMode: ThresholdMode
    /// The epochs after a reduction during which bad epochs are not counted.
    public let cooldown: Int
    /// Reductions smaller than this are skipped.
    public let eps: Float
    /// Each group's lowest learning rate.
    public var minLRs: [Float] { minimums.map(Float.init) }
    /// The number of ``step(metric:)`` calls so far (PyTorch's `last_epoch`).
    public private(set) var epoch = 0
    /// The best metric so far (infinite before the first step).
    public var best: Double { state.best }
    /// The epochs since the last improvement.
    public var numBadEpochs: Int { state.numBadEpochs }
    /// The cooldown epochs left.
    public var cooldownCounter: Int { state.cooldownCounter }

    /// The counters a step updates.
    private struct Counters {
        var best: Double
        var numBadEpochs = 0
        var cooldownCounter = 0
    }

    private var state: Counters
    private var minimums: [Double]
    private var lastLRs: [Double]
    private let settings: (factor: Double, threshold: Double, eps: Double)

    /// A scheduler with the same lowest rate `minLR` for every group.
    public convenience init(
        optimizer: any Optimizer, mode: Mode = .min, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4,
        thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Float = 0, eps: Float = 1e-8
    ) {
        self.init(optimizer: optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
                  thresholdMode: thresholdMode, cooldown: cooldown, minLRs: Array(repeating: minLR, count: optimizer.groups.count),
                  eps: eps)
    }

    /// A scheduler with a lowest rate per group.
    public init(
        optimizer: any Optimizer, mode: Mode = .min, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4,
        thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLRs: [Float], eps: Float = 1e-8
    ) {
        checkUsage(factor < 1, "Factor should be < 1.0.")
        checkUsage(minLRs.count == optimizer.groups.count, "expected \(optimizer.groups.count) min_lrs, got \(minLRs.count)")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.eps = eps
        minimums = minLRs.map(Double.init(decimal:))
        settings = (Double(decimal: factor), Double(decimal: threshold), Double(decimal: eps))
        state = Counters(best: mode == .min ? .infinity : -.infinity)
        lastLRs = optimizer.groups.map { $0.lr! }
    }

    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { lastLRs.map(Float.init) }

    /// Records the epoch's metric and lowers the learning rates if it has not improved for
    /// more than `patience` epochs.
    public func step(metric: Double) {
        epoch += 1
        if isBetter(metric, than: state.best) {
            state.best = metric
            state.numBadEpochs = 0
        } else {
            state.numBadEpochs += 1
        }
        if state.cooldownCounter > 0 {
            state.cooldownCounter -= 1
            state.numBadEpochs = 0
        }
        if state.numBadEpochs > patience {
            reduceLearningRates()
            state.cooldownCounter = cooldown
            state.numBadEpochs = 0
        }
        lastLRs = optimizer.groups.map { $0.lr! }
    }

    /// Records the epoch's metric (a `Float`, widened exactly as PyTorch's `float()` of a
    /// float32 tensor) and lowers the learning rates if it has not improved for long.
    @_disfavoredOverload
    public func step(metric: Float) { step(metric: Double(metric)) }

    /// Records the epoch's metric, a one-element tensor such as a loss (PyTorch's `float()`
    /// of it), and lowers the learning rates if it has not improved for long.
    public func step(metric: Tensor) {
        checkUsage(metric.count == 1, "a Tensor with \(metric.count) elements cannot be converted to Scalar")
        step(metric: metric.asArray(Double.self)[0])
    }

    /// Multiplies each group's rate by `factor`, not below its minimum.
    private func reduceLearningRates() {
        var groups = optimizer.groups
        for index in groups.indices {
            let old = groups[index].lr!
            let new = Swift.max(old * settings.factor, minimums[index])
            if old - new > settings.eps { groups[index].lr = new }
        }
        optimizer.groups = groups
    }

    /// PyTorch's `_is_better`.
    private func isBetter(_ value: Double, than best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return value < best * (1.0 - settings.threshold)
        case (.min, .abs): return value < best - settings.threshold
        case (.max, .rel): return value > best * (settings.threshold + 1.0)
        case (.max, .abs): return value > best + settings.threshold
        }
    }

    /// The settings, checked when loading.
    private var configuration: [String: Double] {
        ["factor": settings.factor, "patience": Double(patience), "threshold": settings.threshold,
         "mode": mode == .min ? 0 : 1, "threshold_mode": thresholdMode == .rel ? 0 : 1,
         "cooldown": Double(cooldown), "eps": settings.eps]
    }

    /// The state: `last_epoch`, `best`, `num_bad_epochs`, `cooldown_counter`, `min_lrs.G`,
    /// `_last_lr.G`, and the settings.
    public func stateDict() -> StateDict {
        var scalars = configuration
        scalars["last_epoch"] = Double(epoch)
        scalars["best"] = state.best
        scalars["num_bad_epochs"] = Double(state.numBadEpochs)
        scalars["cooldown_counter"] = Double(state.cooldownCounter)
        for (index, value) in minimums.enumerated() { scalars["min_lrs.\(index)"] = value }
        for (index, value) in lastLRs.enumerated() { scalars["_last_lr.\(index)"] = value }
        return StateDict(scalars: scalars)
    }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) {
        var reader = StateDictReader(stateDict)
        try checkConfiguration(configuration, in: &reader)
        let groupCount = optimizer.groups.count
        try ScheduleState.checkGroupCount(stateDict, prefix: "min_lrs.", groupCount: groupCount)
        let schedule = try ScheduleState.read(from: &reader, groupCount: groupCount, baseLRs: false)
        var counters = Counters(best: reader.scalar("best") ?? 0)
        counters.numBadEpochs = try reader.integer("num_bad_epochs") ?? 0
        counters.cooldownCounter = try reader.integer("cooldown_counter") ?? 0
        let loadedMinimums = (0..<groupCount).map { reader.scalar("min_lrs.\($0)") ?? 0 }
        try reader.finish()
        epoch = schedule.lastEpoch
        lastLRs = schedule.lastLRs
        state = counters
        minimums = loadedMinimums
    }
}
