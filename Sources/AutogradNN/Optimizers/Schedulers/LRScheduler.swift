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
