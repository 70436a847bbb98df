import AutogradCore
import Foundation

/// Changes an optimizer's learning rates once per epoch (or per step), like
/// `torch.optim.lr_scheduler.LRScheduler`: call ``step()`` after each epoch's optimizer steps.
///
/// Each group's rate is scaled from its own base rate (PyTorch's `base_lrs`: the group's
/// `initial_lr`, which the first scheduler made for the optimizer records). Making a
/// scheduler sets the rates for epoch 0, as PyTorch's do (``LinearLR`` starts at
/// `startFactor` times the base rate, ``OneCycleLR`` at `maxLR / divFactor`).
///
/// To resume training, make the optimizer and the scheduler as before, then load both:
/// ```swift
/// try optimizer.load(stateDict: saved.scoped(to: "optimizer"))
/// try scheduler.load(stateDict: saved.scoped(to: "scheduler"))
/// ```
public protocol LRScheduler: AnyObject {
    /// The optimizer whose learning rates are set.
    var optimizer: any Optimizer { get }
    /// The number of ``step()`` calls so far (PyTorch's `last_epoch`).
    var epoch: Int { get }
    /// The learning rates of the groups after the last step (PyTorch's `get_last_lr()`).
    var lastLearningRates: [Float] { get }
    /// Moves to the next epoch and sets the optimizer's learning rates for it.
    func step()
    /// The scheduler's state: `last_epoch`, `base_lrs.G`, `_last_lr.G`, its counters, and
    /// its settings (checked when loading).
    func stateDict() -> StateDict
    /// Restores a state that ``stateDict()`` returned from a scheduler made the same way.
    /// The optimizer's learning rates are not touched: load the optimizer's own state for them.
    ///
    /// - Throws: ``StateDictError`` when the keys, the number of groups or the settings do
    ///   not match; the scheduler is then unchanged.
    func load(stateDict: StateDict) throws(StateDictError)
}

/// PyTorch's `last_epoch`, `base_lrs` and `_last_lr`.
struct ScheduleState {
    /// Each group's base learning rate.
    var baseLRs: [Double] = []
    /// The current epoch; -1 before the initial step.
    var lastEpoch = -1
    /// The learning rates the last step set.
    var lastLRs: [Double] = []

    /// The entries of a state dict.
    var scalars: [String: Double] {
        var scalars = ["last_epoch": Double(lastEpoch)]
        for (index, value) in baseLRs.enumerated() { scalars["base_lrs.\(index)"] = value }
        for (index, value) in lastLRs.enumerated() { scalars["_last_lr.\(index)"] = value }
        return scalars
    }

    /// Reads the entries of `scalars` for `groupCount` groups.
    static func read(from reader: inout StateDictReader, groupCount: Int, baseLRs: Bool = true) throws(StateDictError) -> ScheduleState {
        try checkGroupCount(reader.dict, prefix: "_last_lr.", groupCount: groupCount)
        var state = ScheduleState()
        state.lastEpoch = try reader.integer("last_epoch", minimum: -1) ?? 0
        for index in 0..<groupCount {
            if baseLRs { state.baseLRs.append(reader.scalar("base_lrs.\(index)") ?? 0) }
            state.lastLRs.append(reader.scalar("_last_lr.\(index)") ?? 0)
        }
        return state
    }

    /// Throws when the state dict has rates for another number of groups than `groupCount`.
    static func checkGroupCount(_ dict: StateDict, prefix: String, groupCount: Int) throws(StateDictError) {
        let saved = dict.scalars.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains(".") }.count
        if saved != groupCount { throw .groupCountMismatch(stateDict: saved, optimizer: groupCount) }
    }
}

/// The library's epoch schedulers, which ``SequentialLR`` can chain: each computes the next
/// rates as PyTorch's `get_lr()` does (from the current rates where PyTorch's form is
/// recursive), and, where PyTorch has one, the closed form from the base rates.
protocol ScheduleStepping: LRScheduler {
    /// The epoch, base rates and last rates.
    var schedule: ScheduleState { get set }
    /// PyTorch's `get_lr()` at `schedule.lastEpoch`; `initial` is true for the step the
    /// initializer takes (PyTorch's `_is_initial`).
    func nextLearningRates(initial: Bool) -> [Double]
    /// PyTorch's `_get_closed_form_lr()` at `schedule.lastEpoch`, nil where it has none.
    func closedFormLearningRates() -> [Double]?
    /// The settings a loaded state must have been saved with.
    var configuration: [String: Double] { get }
}

extension ScheduleStepping {
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

    /// The state dict: the schedule's entries and the settings.
    func scheduleStateDict() -> StateDict {
        StateDict(scalars: schedule.scalars.merging(configuration) { first, _ in first })
    }

    /// Loads the schedule's entries after checking the settings; on error nothing changes.
    func loadSchedule(_ dict: StateDict) throws(StateDictError) {
        var reader = StateDictReader(dict)
        try checkConfiguration(configuration, in: &reader)
        let loaded = try ScheduleState.read(from: &reader, groupCount: optimizer.groups.count)
        try reader.finish()
        schedule = loaded
    }
}

/// Throws unless `dict` holds every setting of `configuration` with the same value.
func checkConfiguration(_ configuration: [String: Double], in reader: inout StateDictReader) throws(StateDictError) {
    for key in configuration.keys.sorted() {
        let current = configuration[key]!
        let saved = reader.optionalScalar(key)
        guard saved == current || (saved?.isNaN == true && current.isNaN) else {
            throw .configurationMismatch(name: key, stateDict: saved.map { "\($0)" } ?? "nothing", current: "\(current)")
        }
    }
}

/// The number of elements of the sorted `values` that are at most `value` (Python's
/// `bisect_right`).
func bisectRight(_ values: [Int], _ value: Int) -> Int {
    values.firstIndex { $0 > value } ?? values.count
}
