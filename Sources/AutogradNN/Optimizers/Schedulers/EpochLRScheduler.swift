import AutogradCore

/// The library's epoch schedulers (``StepLR``, ``MultiStepLR``, ``ExponentialLR``,
/// ``CosineAnnealingLR``, ``LambdaLR``, ``LinearLR``, ``OneCycleLR``), which ``SequentialLR``
/// can chain: this base holds PyTorch's `last_epoch`, `base_lrs` and `_last_lr`, steps, and
/// saves and loads them; each subclass computes the next rates as PyTorch's `get_lr()` does
/// (from the current rates where PyTorch's form is recursive) and, where PyTorch has one,
/// the closed form from the base rates. It is not made directly.
public class EpochLRScheduler: LRScheduler {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    /// The epoch, base rates and last rates.
    var schedule = ScheduleState()

    /// A scheduler of `optimizer`; the subclass's initializer calls ``start()`` once its own
    /// settings are stored.
    init(optimizer: any Optimizer) {
        self.optimizer = optimizer
    }

    /// The number of ``step()`` calls so far.
    public var epoch: Int { schedule.lastEpoch }
    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { schedule.lastLRs.map(Float.init) }

    /// Moves to the next epoch (for ``OneCycleLR``, the next batch) and sets the optimizer's
    /// learning rates for it.
    public func step() { advance() }

    /// The state: the epoch, the base and last learning rates, and the settings.
    public func stateDict() -> StateDict {
        StateDict(scalars: schedule.scalars.merging(configuration) { first, _ in first })
    }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) {
        var reader = StateDictReader(stateDict)
        try checkConfiguration(configuration, in: &reader)
        let loaded = try ScheduleState.read(from: &reader, groupCount: optimizer.groups.count)
        try reader.finish()
        schedule = loaded
    }

    /// PyTorch's `get_lr()` at `schedule.lastEpoch`; `initial` is true for the step the
    /// initializer takes (PyTorch's `_is_initial`). This base keeps the current rates.
    func nextLearningRates(initial: Bool) -> [Double] { currentLRs }

    /// PyTorch's `_get_closed_form_lr()` at `schedule.lastEpoch`, nil where it has none.
    func closedFormLearningRates() -> [Double]? { nil }

    /// The settings a loaded state must have been saved with.
    var configuration: [String: Double] { [:] }

    /// The groups' current learning rates.
    var currentLRs: [Double] { optimizer.groups.map { $0.lr! } }

    /// Records each group's `initial_lr` if no scheduler has, and takes them as base rates,
    /// then takes the initial step (PyTorch's `LRScheduler.__init__`).
    func start() {
        var groups = optimizer.groups
        for index in groups.indices where groups[index].initialLR == nil { groups[index].initialLR = groups[index].lr }
        optimizer.groups = groups
        schedule.baseLRs = groups.map { $0.initialLR! }
        initialStep()
    }

    /// Moves from epoch -1 to 0 and sets the rates for it (PyTorch's `_initial_step`).
    func initialStep() {
        schedule.lastEpoch += 1
        apply(nextLearningRates(initial: true))
    }

    /// Moves to the next epoch and sets its rates (PyTorch's `step()`).
    func advance() {
        schedule.lastEpoch += 1
        apply(nextLearningRates(initial: false))
    }

    /// Jumps to `epoch` and sets its rates from the closed form where there is one
    /// (PyTorch's `_update_lr(epoch)`, which ``SequentialLR`` uses at its milestones).
    func jump(toEpoch epoch: Int) {
        schedule.lastEpoch = epoch
        apply(closedFormLearningRates() ?? nextLearningRates(initial: false))
    }

    /// Sets each group's rate.
    func apply(_ rates: [Double]) {
        var groups = optimizer.groups
        for (index, rate) in rates.enumerated() { groups[index].lr = rate }
        optimizer.groups = groups
        schedule.lastLRs = groups.map { $0.lr! }
    }
}
