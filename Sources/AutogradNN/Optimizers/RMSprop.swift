import AutogradCore
import AutogradEngine

/// RMSprop, like `torch.optim.RMSprop`: steps divided by a running root mean square of the
/// gradients.
///
/// For each parameter `p` with gradient `g`, with the learning rate and weight decay of
/// `p`'s group:
/// ```text
/// g ← -g (maximize)
/// g ← g + weightDecay·p
/// v ← α·v + (1 - α)·g²
/// d ← √v + eps, or √(v - ḡ²) + eps when centered (ḡ ← α·ḡ + (1 - α)·g)
/// b ← momentum·b + g / d;  p ← p - learningRate·b     (with momentum)
/// p ← p - learningRate·g / d                          (without)
/// ```
public final class RMSprop: Optimizer, MomentumCyclable {
    /// RMSprop's own hyperparameters.
    struct Options: OptimizerOptions {
        var alpha: Double
        var eps: Double
        var momentum: Double
        var centered: Bool
        var maximize: Bool

        var scalars: [String: Double] {
            ["alpha": alpha, "eps": eps, "momentum": momentum, "centered": centered ? 1 : 0, "maximize": maximize ? 1 : 0]
        }

        init(alpha: Double, eps: Double, momentum: Double, centered: Bool, maximize: Bool) {
            self.alpha = alpha
            self.eps = eps
            self.momentum = momentum
            self.centered = centered
            self.maximize = maximize
        }

        init?(reading reader: inout StateDictReader) throws(StateDictError) {
            let alpha = reader.scalar("alpha"), eps = reader.scalar("eps"), momentum = reader.scalar("momentum")
            let centered = try reader.flag("centered"), maximize = try reader.flag("maximize")
            guard let alpha, let eps, let momentum, let centered, let maximize else { return nil }
            self.init(alpha: alpha, eps: eps, momentum: momentum, centered: centered, maximize: maximize)
        }

        static let stateNames: Set<String> = ["square_avg", "grad_avg", "momentum_buffer"]
    }

    private var core: OptimizerCore<Options>

    /// The parameter groups with their learning rates and weight decays.
    public var groups: [ParameterGroup] {
        get { core.groups }
        set { core.setGroups(newValue) }
    }
    /// The smoothing constant α of the running averages.
    public var alpha: Float { Float(core.options.alpha) }
    /// Added to the denominator for stability.
    public var eps: Float { Float(core.options.eps) }
    /// The weight decay of the first group (an L2 penalty added to each gradient). Each
    /// group has its own in ``groups``.
    public var weightDecay: Float { groups[0].weightDecay }
    /// The momentum factor (0 for none); ``OneCycleLR`` cycles it.
    public var momentum: Float {
        get { Float(core.options.momentum) }
        set { core.options.momentum = Double(decimal: newValue) }
    }
    /// Whether to divide by an estimate of the gradient's variance instead of its second moment.
    public var centered: Bool { core.options.centered }
    /// Whether to maximise the objective instead of minimising it.
    public var maximize: Bool { core.options.maximize }

    var cycledMomentum: Double {
        get { core.options.momentum }
        set { core.options.momentum = newValue }
    }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
        weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, alpha: alpha, eps: eps,
                  weightDecay: weightDecay, momentum: momentum, centered: centered, maximize: maximize)
    }

    /// An optimizer for parameter groups with PyTorch's defaults; a group's own learning
    /// rate and weight decay override the arguments.
    public init(
        groups: [ParameterGroup], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
        weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false, maximize: Bool = false
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        checkUsage(momentum >= 0, "Invalid momentum value: \(momentum)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        checkUsage(alpha >= 0, "Invalid alpha value: \(alpha)")
        core = OptimizerCore(
            groups: groups, learningRate: learningRate, weightDecay: weightDecay,
            options: Options(alpha: Double(decimal: alpha), eps: Double(decimal: eps), momentum: Double(decimal: momentum),
                             centered: centered, maximize: maximize))
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let options = core.options
        core.forEachGradient(maximize: options.maximize) { group, parameter, gradient, state in
            var gradient = gradient
            let squareAverage = state.buffer("square_avg", like: parameter)
            state.step += 1
            if group.decay! != 0 { gradient = gradient + parameter * Float(group.decay!) }
            squareAverage *= Float(options.alpha)
            squareAverage.addInPlace(gradient * gradient, alpha: Float(1 - options.alpha))
            var average: Tensor
            if options.centered {
                let gradientAverage = state.buffer("grad_avg", like: parameter)
                gradientAverage.addInPlace(gradient - gradientAverage, alpha: Float(1 - options.alpha))
                average = (squareAverage - gradientAverage * gradientAverage).sqrt()
            } else {
                average = squareAverage.sqrt()
            }
            average = average + Float(options.eps)
            if options.momentum > 0 {
                let buffer = state.buffer("momentum_buffer", like: parameter)
                buffer *= Float(options.momentum)
                buffer.addInPlace(gradient / average)
                parameter.addInPlace(buffer, alpha: Float(-group.lr!))
            } else {
                parameter.addInPlace(gradient / average, alpha: Float(-group.lr!))
            }
        }
    }

    /// The state: `square_avg` (and `grad_avg` when centered, `momentum_buffer` with
    /// momentum) of each parameter, the groups' options and RMSprop's own.
    public func stateDict() -> StateDict { core.stateDict() }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try core.load(stateDict) }
}
