import AutogradCore

/// Sets each learning rate to its base value times a function of the epoch, like
/// `torch.optim.lr_scheduler.LambdaLR`: `lr = baseLR · lrLambda(epoch)`.
/// ```swift
/// let warmup = LambdaLR(optimizer: optimizer) { epoch in min(1, Double(epoch + 1) / 100) }
/// ```
/// The functions are not part of ``stateDict()`` (PyTorch saves only callable objects'
/// fields); make the scheduler with the same functions before loading.
public final class LambdaLR: LRScheduler, ScheduleStepping {
    /// The optimizer whose learning rates are set.
    public let optimizer: any Optimizer
    var schedule = ScheduleState()
    private let lambdas: [(Int) -> Double]

    /// A schedule that scales every group's base learning rate by `lrLambda(epoch)`.
    public convenience init(optimizer: any Optimizer, lrLambda: @escaping (Int) -> Double) {
        self.init(optimizer: optimizer, lrLambdas: Array(repeating: lrLambda, count: optimizer.groups.count))
    }

    /// A schedule that scales every group's base learning rate by `lrLambda(epoch)`, a
    /// function returning `Float`.
    @_disfavoredOverload
    public convenience init(optimizer: any Optimizer, lrLambda: @escaping (Int) -> Float) {
        self.init(optimizer: optimizer, lrLambda: { Double(lrLambda($0)) })
    }

    /// A schedule with one function per parameter group.
    public init(optimizer: any Optimizer, lrLambdas: [(Int) -> Double]) {
        checkUsage(lrLambdas.count == optimizer.groups.count,
                   "Expected \(optimizer.groups.count) lr_lambdas, but got \(lrLambdas.count)")
        self.optimizer = optimizer
        lambdas = lrLambdas
        start()
    }

    /// The number of ``step()`` calls so far.
    public var epoch: Int { schedule.lastEpoch }
    /// The groups' learning rates after the last step.
    public var lastLearningRates: [Float] { schedule.lastLRs.map(Float.init) }

    /// Moves to the next epoch and sets the optimizer's learning rates for it.
    public func step() { advance() }

    func nextLearningRates(initial: Bool) -> [Double] {
        zip(lambdas, schedule.baseLRs).map { lambda, base in base * lambda(schedule.lastEpoch) }
    }

    func closedFormLearningRates() -> [Double]? { nil }

    var configuration: [String: Double] { [:] }

    /// The state: the epoch and the base and last learning rates.
    public func stateDict() -> StateDict { scheduleStateDict() }
    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try loadSchedule(stateDict) }
}
