import AutogradCore

/// Sets each learning rate to its base value times a function of the epoch, like
/// `torch.optim.lr_scheduler.LambdaLR`: `lr = baseLR · lrLambda(epoch)`.
/// ```swift
/// let warmup = LambdaLR(optimizer: optimizer) { epoch in min(1, Double(epoch + 1) / 100) }
/// ```
/// The functions are not part of ``stateDict()`` (PyTorch saves only callable objects'
/// fields); make the scheduler with the same functions before loading.
public final class LambdaLR: EpochLRScheduler {
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
        lambdas = lrLambdas
        super.init(optimizer: optimizer)
        start()
    }

    override func nextLearningRates(initial: Bool) -> [Double] {
        zip(lambdas, schedule.baseLRs).map { lambda, base in base * lambda(schedule.lastEpoch) }
    }
}
