import AutogradCore
import AutogradEngine

/// Adadelta, like `torch.optim.Adadelta`: steps whose size is the ratio of running root
/// mean squares of past updates and of gradients, so they need little tuning of the
/// learning rate (PyTorch's default is 1).
///
/// For each parameter `p` with gradient `g`, with the learning rate and weight decay of
/// `p`'s group:
/// ```text
/// g ← -g (maximize)
/// g ← g + weightDecay·p
/// v ← ρ·v + (1 - ρ)·g²
/// Δ ← √(u + eps) / √(v + eps) · g
/// u ← ρ·u + (1 - ρ)·Δ²
/// p ← p - learningRate·Δ
/// ```
public final class Adadelta: Optimizer {
    /// Adadelta's own hyperparameters.
    struct Options: OptimizerOptions {
        var rho: Double
        var eps: Double
        var maximize: Bool

        var scalars: [String: Double] { ["rho": rho, "eps": eps, "maximize": maximize ? 1 : 0] }

        init(rho: Double, eps: Double, maximize: Bool) {
            self.rho = rho
            self.eps = eps
            self.maximize = maximize
        }

        init?(reading reader: inout StateDictReader) throws(StateDictError) {
            let rho = reader.scalar("rho"), eps = reader.scalar("eps"), maximize = try reader.flag("maximize")
            guard let rho, let eps, let maximize else { return nil }
            self.init(rho: rho, eps: eps, maximize: maximize)
        }

        static let stateNames: Set<String> = ["square_avg", "acc_delta"]
    }

    private var core: OptimizerCore<Options>

    /// The parameter groups with their learning rates and weight decays.
    public var groups: [ParameterGroup] {
        get { core.groups }
        set { core.setGroups(newValue) }
    }
    /// The decay rate ρ of both running averages.
    public var rho: Float { Float(core.options.rho) }
    /// Added inside both square roots for stability.
    public var eps: Float { Float(core.options.eps) }
    /// Whether to maximise the objective instead of minimising it.
    public var maximize: Bool { core.options.maximize }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1, rho: Float = 0.9, eps: Float = 1e-6,
        weightDecay: Float = 0, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, rho: rho, eps: eps,
                  weightDecay: weightDecay, maximize: maximize)
    }

    /// An optimizer for parameter groups with PyTorch's defaults; a group's own learning
    /// rate and weight decay override the arguments.
    public init(
        groups: [ParameterGroup], learningRate: Float = 1, rho: Float = 0.9, eps: Float = 1e-6,
        weightDecay: Float = 0, maximize: Bool = false
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage((0...1).contains(rho), "Invalid rho value: \(rho)")
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        core = OptimizerCore(
            groups: groups, learningRate: learningRate, weightDecay: weightDecay,
            options: Options(rho: Double(decimal: rho), eps: Double(decimal: eps), maximize: maximize))
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let options = core.options
        let rho = Float(options.rho), eps = Float(options.eps), complement = Float(1 - options.rho)
        core.forEachGradient(maximize: options.maximize) { group, parameter, gradient, state in
            var gradient = gradient
            let squareAverage = state.buffer("square_avg", like: parameter)
            let accumulatedDelta = state.buffer("acc_delta", like: parameter)
            state.step += 1
            if group.decay! != 0 { gradient = gradient + parameter * Float(group.decay!) }
            squareAverage *= rho
            squareAverage.addInPlace(gradient * gradient, alpha: complement)
            let std = (squareAverage + eps).sqrt()
            let delta = (accumulatedDelta + eps).sqrt() / std * gradient
            accumulatedDelta *= rho
            accumulatedDelta.addInPlace(delta * delta, alpha: complement)
            parameter.addInPlace(delta, alpha: Float(-group.lr!))
        }
    }

    /// The state: `square_avg` and `acc_delta` of each parameter, the groups' options and
    /// Adadelta's own.
    public func stateDict() -> StateDict { core.stateDict() }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try core.load(stateDict) }
}
