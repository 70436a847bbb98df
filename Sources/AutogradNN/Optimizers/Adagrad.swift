import AutogradCore
import AutogradEngine

/// Adagrad, like `torch.optim.Adagrad`: each element's step is divided by the root of the
/// sum of all its squared gradients so far.
///
/// For each parameter `p` with gradient `g` at step `t`, with the learning rate and weight
/// decay of `p`'s group:
/// ```text
/// g ← -g (maximize)
/// g ← g + weightDecay·p
/// s ← s + g²                                   (s starts at initialAccumulatorValue)
/// p ← p - learningRate / (1 + (t - 1)·lrDecay) · g / (√s + eps)
/// ```
public final class Adagrad: Optimizer {
    /// Adagrad's own hyperparameters.
    struct Options: OptimizerOptions {
        var lrDecay: Double
        var initialAccumulatorValue: Double
        var eps: Double
        var maximize: Bool

        var scalars: [String: Double] {
            ["lr_decay": lrDecay, "initial_accumulator_value": initialAccumulatorValue, "eps": eps, "maximize": maximize ? 1 : 0]
        }

        init(lrDecay: Double, initialAccumulatorValue: Double, eps: Double, maximize: Bool) {
            self.lrDecay = lrDecay
            self.initialAccumulatorValue = initialAccumulatorValue
            self.eps = eps
            self.maximize = maximize
        }

        init?(reading reader: inout StateDictReader) throws(StateDictError) {
            let lrDecay = reader.scalar("lr_decay"), initial = reader.scalar("initial_accumulator_value")
            let eps = reader.scalar("eps"), maximize = try reader.flag("maximize")
            guard let lrDecay, let initial, let eps, let maximize else { return nil }
            self.init(lrDecay: lrDecay, initialAccumulatorValue: initial, eps: eps, maximize: maximize)
        }

        static let stateNames: Set<String> = ["sum"]
    }

    private var core: OptimizerCore<Options>

    /// The parameter groups with their learning rates and weight decays.
    public var groups: [ParameterGroup] {
        get { core.groups }
        set { core.setGroups(newValue) }
    }
    /// How fast the learning rate falls with the step count: step `t` uses
    /// `learningRate / (1 + (t - 1)·lrDecay)`.
    public var lrDecay: Float { Float(core.options.lrDecay) }
    /// The value each element's sum of squared gradients starts from.
    public var initialAccumulatorValue: Float { Float(core.options.initialAccumulatorValue) }
    /// Added to the denominator for stability.
    public var eps: Float { Float(core.options.eps) }
    /// Whether to maximise the objective instead of minimising it.
    public var maximize: Bool { core.options.maximize }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-2, lrDecay: Float = 0, weightDecay: Float = 0,
        initialAccumulatorValue: Float = 0, eps: Float = 1e-10, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, lrDecay: lrDecay,
                  weightDecay: weightDecay, initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    /// An optimizer for parameter groups with PyTorch's defaults; a group's own learning
    /// rate and weight decay override the arguments.
    public init(
        groups: [ParameterGroup], learningRate: Float = 1e-2, lrDecay: Float = 0, weightDecay: Float = 0,
        initialAccumulatorValue: Float = 0, eps: Float = 1e-10, maximize: Bool = false
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(lrDecay >= 0, "Invalid lr_decay value: \(lrDecay)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        checkUsage(initialAccumulatorValue >= 0, "Invalid initial_accumulator_value value: \(initialAccumulatorValue)")
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        core = OptimizerCore(
            groups: groups, learningRate: learningRate, weightDecay: weightDecay,
            options: Options(lrDecay: Double(decimal: lrDecay), initialAccumulatorValue: Double(decimal: initialAccumulatorValue),
                             eps: Double(decimal: eps), maximize: maximize))
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let options = core.options
        core.forEachGradient(maximize: options.maximize) { group, parameter, gradient, state in
            var gradient = gradient
            let sum = state.buffer("sum", like: parameter, filledWith: Float(options.initialAccumulatorValue))
            state.step += 1
            if group.decay! != 0 { gradient = gradient + parameter * Float(group.decay!) }
            let decayedLR = group.lr! / (1 + Double(state.step - 1) * options.lrDecay)
            sum.addInPlace(gradient * gradient)
            let std = sum.sqrt() + Float(options.eps)
            parameter.addInPlace(gradient / std, alpha: Float(-decayedLR))
        }
    }

    /// The state: `sum` of each parameter, the groups' options and Adagrad's own.
    public func stateDict() -> StateDict { core.stateDict() }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try core.load(stateDict) }
}
