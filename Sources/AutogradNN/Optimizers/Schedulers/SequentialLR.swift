import AutogradCore

/// Runs schedulers one after another, switching at the milestone epochs, like
/// `torch.optim.lr_scheduler.SequentialLR`: `schedulers[0]` until `milestones[0]`, then
/// `schedulers[1]` restarted at its epoch 0, and so on.
/// ```swift
/// let warmup = LinearLR(optimizer: optimizer, startFactor: 0.1, totalIters: 5)
/// let decay = ExponentialLR(optimizer: optimizer, gamma: 0.9)
/// let scheduler = SequentialLR(optimizer: optimizer, schedulers: [warmup, decay], milestones: [5])
/// ```
/// The schedulers must be the library's epoch schedulers (not ``ReduceLROnPlateau``, which
/// needs a metric, nor another `SequentialLR`) and belong to `optimizer`.
public final class SequentialLR: LRScheduler {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// The schedulers, in the order they run.
    public let schedulers: [any LRScheduler]
    /// The epochs at which the next scheduler takes over.
    public let milestones: [Int]
    /// The number of ``step()`` calls so far.
    public private(set) var epoch = 0
    private var lastLRs: [Double]
    private let steppers: [EpochLRScheduler]

    /// Chains `schedulers`; making it puts the optimizer back to its initial learning rates
    /// and restarts the first scheduler.
    public init(optimizer: any Optimizer, schedulers: [any LRScheduler], milestones: [Int]) {
        checkUsage(!schedulers.isEmpty, "SequentialLR expects at least one scheduler, but got no scheduler.")
        var steppers: [EpochLRScheduler] = []
        for (index, scheduler) in schedulers.enumerated() {
            guard let stepper = scheduler as? EpochLRScheduler else {
                usageFailure("SequentialLR cannot sequence the \(type(of: scheduler)) at index \(index); "
                    + "it takes the library's epoch schedulers (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, "
                    + "LambdaLR, LinearLR, OneCycleLR)")
            }
            checkUsage(scheduler.optimizer === optimizer,
                       "SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler "
                       + "\(type(of: scheduler)) at index \(index) with a different optimizer")
            steppers.append(stepper)
        }
        checkUsage(milestones.count == schedulers.count - 1,
                   "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                   + "milestone points, but got number of schedulers \(schedulers.count) and the number of milestones "
                   + "to be equal to \(milestones.count)")
        self.optimizer = optimizer
        self.schedulers = schedulers
        self.milestones = milestones
        self.steppers = steppers
        var groups = optimizer.groups
        for index in groups.indices { groups[index].lr = groups[index].initialLR ?? groups[index].lr }
        optimizer.groups = groups
        for stepper in steppers { stepper.schedule.lastEpoch -= 1 }
        let first = steppers[bisectRight(milestones, 0)]
        first.initialStep()
        lastLRs = first.schedule.lastLRs
    }

    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { lastLRs.map(Float.init) }

    /// Moves to the next epoch: the current scheduler steps, or at a milestone the next one
    /// starts at its epoch 0.
    public func step() {
        epoch += 1
        let index = bisectRight(milestones, epoch)
        let scheduler = steppers[index]
        if index > 0 && milestones[index - 1] == epoch {
            scheduler.jump(toEpoch: 0)
        } else {
            scheduler.advance()
        }
        lastLRs = scheduler.schedule.lastLRs
    }

    /// The state: `last_epoch`, `_last_lr.G`, the milestones, and each scheduler's state
    /// under `_schedulers.K.`.
    public func stateDict() -> StateDict {
        var dict = StateDict(scalars: configuration)
        dict.scalars["last_epoch"] = Double(epoch)
        for (index, value) in lastLRs.enumerated() { dict.scalars["_last_lr.\(index)"] = value }
        for (index, scheduler) in schedulers.enumerated() {
            dict = dict.merging(scheduler.stateDict().prefixed("_schedulers.\(index)"))
        }
        return dict
    }

    /// Restores a state from ``stateDict()``, the schedulers' included; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) {
        var own = StateDict()
        own.scalars = stateDict.scalars.filter { !$0.key.hasPrefix("_schedulers.") }
        own.tensors = stateDict.tensors.filter { !$0.key.hasPrefix("_schedulers.") }
        var reader = StateDictReader(own)
        try checkConfiguration(configuration, in: &reader)
        let loaded = try ScheduleState.read(from: &reader, groupCount: optimizer.groups.count, baseLRs: false)
        try reader.finish()
        let parts = schedulers.indices.map { stateDict.scoped(to: "_schedulers.\($0)") }
        let covered = parts.reduce(0) { $0 + $1.keys.count }
        let nested = stateDict.keys.filter { $0.hasPrefix("_schedulers.") }
        if covered != nested.count {
            let known = Set(schedulers.indices.flatMap { index in parts[index].keys.map { "_schedulers.\(index).\($0)" } })
            throw .unexpectedKeys(nested.filter { !known.contains($0) })
        }
        // Check every scheduler's part by loading it into a copy of the states, restoring on failure.
        let saved = schedulers.map { $0.stateDict() }
        for (index, scheduler) in schedulers.enumerated() {
            do {
                try scheduler.load(stateDict: parts[index])
            } catch {
                for (restored, state) in zip(schedulers, saved) { try? restored.load(stateDict: state) }
                throw error
            }
        }
        epoch = loaded.lastEpoch
        lastLRs = loaded.lastLRs
    }

    /// The milestones, checked when loading.
    private var configuration: [String: Double] {
        var configuration = ["_milestones.count": Double(milestones.count)]
        for (index, milestone) in milestones.enumerated() { configuration["_milestones.\(index)"] = Double(milestone) }
        return configuration
    }
}
