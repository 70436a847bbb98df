import AutogradCore
import AutogradEngine
import Foundation

/// Adam, like `torch.optim.Adam`: steps scaled by running estimates of the gradient's
/// first and second moments, with bias correction.
///
/// For each parameter `p` with gradient `g` at step `t`, with the learning rate and weight
/// decay of `p`'s group:
/// ```text
/// g ← -g (maximize)
/// g ← g + weightDecay·p                       (Adam; AdamW decays p instead)
/// m ← β₁·m + (1 - β₁)·g
/// v ← β₂·v + (1 - β₂)·g²                      (v̂ = max of all v with amsgrad)
/// p ← p - learningRate / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + eps)
/// ```
public class Adam: Optimizer, MomentumCyclable {
    /// Adam's own hyperparameters.
    struct Options: OptimizerOptions {
        var beta1: Double
        var beta2: Double
        var eps: Double
        var amsgrad: Bool
        var maximize: Bool
        var decoupledWeightDecay: Bool

        var scalars: [String: Double] {
            ["betas.0": beta1, "betas.1": beta2, "eps": eps, "amsgrad": amsgrad ? 1 : 0, "maximize": maximize ? 1 : 0,
             "decoupled_weight_decay": decoupledWeightDecay ? 1 : 0]
        }

        init(beta1: Double, beta2: Double, eps: Double, amsgrad: Bool, maximize: Bool, decoupledWeightDecay: Bool) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.amsgrad = amsgrad
            self.maximize = maximize
            self.decoupledWeightDecay = decoupledWeightDecay
        }

        init?(reading reader: inout StateDictReader) throws(StateDictError) {
            let beta1 = reader.scalar("betas.0"), beta2 = reader.scalar("betas.1"), eps = reader.scalar("eps")
            let amsgrad = try reader.flag("amsgrad"), maximize = try reader.flag("maximize")
            let decoupled = try reader.flag("decoupled_weight_decay")
            guard let beta1, let beta2, let eps, let amsgrad, let maximize, let decoupled else { return nil }
            self.init(beta1: beta1, beta2: beta2, eps: eps, amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: decoupled)
        }

        func checkLoadable(_ saved: Options) throws(StateDictError) {
            if saved.decoupledWeightDecay != decoupledWeightDecay {
                let name = { (decoupled: Bool) in decoupled ? "AdamW (decoupled weight decay)" : "Adam" }
                throw .configurationMismatch(name: "optimizer", stateDict: name(saved.decoupledWeightDecay),
                                             current: name(decoupledWeightDecay))
            }
        }

        static let stateNames: Set<String> = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    }

    private var core: OptimizerCore<Options>

    /// The parameter groups with their learning rates and weight decays.
    public var groups: [ParameterGroup] {
        get { core.groups }
        set { core.setGroups(newValue) }
    }
    /// The decay rates of the first and second moment estimates; ``OneCycleLR`` cycles the first.
    public var betas: (Float, Float) {
        get { (Float(core.options.beta1), Float(core.options.beta2)) }
        set {
            core.options.beta1 = Double(decimal: newValue.0)
            core.options.beta2 = Double(decimal: newValue.1)
        }
    }
    /// Added to the denominator for stability.
    public var eps: Float { Float(core.options.eps) }
    /// The weight decay of the first group: an L2 penalty on the gradient (Adam) or a direct
    /// shrinking of the parameter (AdamW). Each group has its own in ``groups``.
    public var weightDecay: Float { groups[0].weightDecay }
    /// Whether to divide by the largest second-moment estimate so far (AMSGrad).
    public var amsgrad: Bool { core.options.amsgrad }
    /// Whether to maximise the objective instead of minimising it.
    public var maximize: Bool { core.options.maximize }

    var cycledMomentum: Double {
        get { core.options.beta1 }
        set { core.options.beta1 = newValue }
    }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0, amsgrad: Bool = false, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    /// An optimizer for parameter groups with PyTorch's defaults; a group's own learning
    /// rate and weight decay override the arguments.
    public convenience init(
        groups: [ParameterGroup], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0, amsgrad: Bool = false, maximize: Bool = false
    ) {
        self.init(groups: groups, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: false)
    }

    init(
        groups: [ParameterGroup], learningRate: Float, betas: (Float, Float), eps: Float,
        weightDecay: Float, amsgrad: Bool, maximize: Bool, decoupledWeightDecay: Bool
    ) {
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        checkUsage((0..<1).contains(betas.0), "Invalid beta parameter at index 0: \(betas.0)")
        checkUsage((0..<1).contains(betas.1), "Invalid beta parameter at index 1: \(betas.1)")
        core = OptimizerCore(
            groups: groups, learningRate: learningRate, weightDecay: weightDecay,
            options: Options(beta1: Double(decimal: betas.0), beta2: Double(decimal: betas.1), eps: Double(decimal: eps),
                             amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: decoupledWeightDecay))
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let options = core.options
        core.forEachGradient(maximize: options.maximize) { group, parameter, gradient, state in
            var gradient = gradient
            let lr = group.lr!, weightDecay = group.decay!
            let firstMoment = state.buffer("exp_avg", like: parameter)
            let secondMoment = state.buffer("exp_avg_sq", like: parameter)
            state.step += 1
            if !options.amsgrad, Self.fusedUpdate(parameter, gradient, firstMoment, secondMoment, options: options,
                                                  lr: lr, weightDecay: weightDecay, step: state.step) {
                return
            }
            if weightDecay != 0 {
                if options.decoupledWeightDecay {
                    parameter *= Float(1 - lr * weightDecay)
                } else {
                    gradient = gradient + parameter * Float(weightDecay)
                }
            }
            firstMoment.addInPlace(gradient - firstMoment, alpha: Float(1 - options.beta1))
            secondMoment *= Float(options.beta2)
            secondMoment.addInPlace(gradient * gradient, alpha: Float(1 - options.beta2))
            let biasCorrection1 = 1 - Foundation.pow(options.beta1, Double(state.step))
            let biasCorrection2 = 1 - Foundation.pow(options.beta2, Double(state.step))
            let stepSize = lr / biasCorrection1
            var denominatorMoment = secondMoment
            if options.amsgrad {
                let largest = state.buffer("max_exp_avg_sq", like: parameter)
                largest.copy(from: largest.maximum(secondMoment))
                denominatorMoment = largest
            }
            let denominator = denominatorMoment.sqrt() / Float(biasCorrection2.squareRoot()) + Float(options.eps)
            parameter.addInPlace(firstMoment / denominator, alpha: Float(-stepSize))
        }
    }

    /// The update of ``step()`` without amsgrad as one pass over a float32 parameter and its
    /// moments (``NDArray/adamUpdateInPlace(gradient:firstMoment:secondMoment:_:)``, the same
    /// bits as the separate ops); false, changing nothing, when the arrays do not allow it.
    private static func fusedUpdate(
        _ parameter: Parameter, _ gradient: Tensor, _ firstMoment: Tensor, _ secondMoment: Tensor, options: Options,
        lr: Double, weightDecay: Double, step: Int
    ) -> Bool {
        let biasCorrection1 = 1 - Foundation.pow(options.beta1, Double(step))
        let biasCorrection2 = 1 - Foundation.pow(options.beta2, Double(step))
        let coefficients = AdamCoefficients(
            parameterScale: weightDecay != 0 && options.decoupledWeightDecay ? Float(1 - lr * weightDecay) : 1,
            gradientDecay: weightDecay != 0 && !options.decoupledWeightDecay ? Float(weightDecay) : 0,
            firstMomentWeight: Float(1 - options.beta1), beta2: Float(options.beta2),
            secondMomentWeight: Float(1 - options.beta2), denominatorScale: 1 / Float(biasCorrection2.squareRoot()),
            eps: Float(options.eps), stepScale: Float(-(lr / biasCorrection1)))
        guard parameter.array.adamUpdateInPlace(gradient: gradient.array, firstMoment: firstMoment.array,
                                                secondMoment: secondMoment.array, coefficients) else { return false }
        // What the in-place ops would have recorded: each storage changed once more.
        for tensor in [parameter, firstMoment, secondMoment] { tensor.array.storage.version += 1 }
        return true
    }

    /// The state: `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq` with AMSGrad) of each
    /// parameter, the groups' options and Adam's own.
    public func stateDict() -> StateDict { core.stateDict() }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try core.load(stateDict) }
}

/// Adam with decoupled weight decay, like `torch.optim.AdamW`: each step first shrinks the
/// parameter, `p ← p·(1 - learningRate·weightDecay)`, then takes Adam's step without a
/// penalty in the gradient. See ``Adam``.
public final class AdamW: Adam {
    /// An optimizer for `parameters` with PyTorch's defaults (weight decay 0.01).
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    /// An optimizer for parameter groups with PyTorch's defaults (weight decay 0.01); a
    /// group's own learning rate and weight decay override the arguments, as in nanoGPT's
    /// decay and no-decay groups.
    public init(
        groups: [ParameterGroup], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        super.init(groups: groups, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                   amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: true)
    }
}
