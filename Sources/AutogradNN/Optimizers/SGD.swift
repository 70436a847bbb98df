import AutogradCore
import AutogradEngine

/// Stochastic gradient descent with momentum, like `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`, step by step, with the learning rate and weight
/// decay of `p`'s group:
/// ```text
/// g ← -g (maximize)
/// g ← g + weightDecay·p
/// b ← g on the first step, else momentum·b + (1 - dampening)·g
/// g ← g + momentum·b (Nesterov), or b
/// p ← p - learningRate·g
/// ```
public final class SGD: Optimizer, MomentumCyclable {
    /// SGD's own hyperparameters.
    struct Options: OptimizerOptions {
        var momentum: Double
        var dampening: Double
        var nesterov: Bool
        var maximize: Bool

        var scalars: [String: Double] {
            ["momentum": momentum, "dampening": dampening, "nesterov": nesterov ? 1 : 0, "maximize": maximize ? 1 : 0]
        }

        init(momentum: Double, dampening: Double, nesterov: Bool, maximize: Bool) {
            self.momentum = momentum
            self.dampening = dampening
            self.nesterov = nesterov
            self.maximize = maximize
        }

        init?(reading reader: inout StateDictReader) throws(StateDictError) {
            let momentum = reader.scalar("momentum"), dampening = reader.scalar("dampening")
            let nesterov = try reader.flag("nesterov"), maximize = try reader.flag("maximize")
            guard let momentum, let dampening, let nesterov, let maximize else { return nil }
            self.init(momentum: momentum, dampening: dampening, nesterov: nesterov, maximize: maximize)
        }

        static let stateNames: Set<String> = ["momentum_buffer"]
    }

    private var core: OptimizerCore<Options>

    /// The parameter groups with their learning rates and weight decays.
    public var groups: [ParameterGroup] {
        get { core.groups }
        set { core.setGroups(newValue) }
    }
    /// The momentum factor (0 for plain SGD); ``OneCycleLR`` cycles it.
    public var momentum: Float {
        get { Float(core.options.momentum) }
        set { core.options.momentum = Double(decimal: newValue) }
    }
    /// How much of each new gradient the momentum buffer leaves out.
    public var dampening: Float { Float(core.options.dampening) }
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool { core.options.nesterov }
    /// Whether to maximise the objective instead of minimising it.
    public var maximize: Bool { core.options.maximize }

    var cycledMomentum: Double {
        get { core.options.momentum }
        set { core.options.momentum = newValue }
    }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false, maximize: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters)], learningRate: learningRate, momentum: momentum,
                  dampening: dampening, weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    /// An optimizer for parameter groups; a group's own learning rate and weight decay
    /// override the arguments.
    public init(
        groups: [ParameterGroup], learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false, maximize: Bool = false
    ) {
        checkUsage(momentum >= 0, "Invalid momentum value: \(momentum)")
        checkUsage(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        core = OptimizerCore(
            groups: groups, learningRate: learningRate, weightDecay: weightDecay,
            options: Options(momentum: Double(decimal: momentum), dampening: Double(decimal: dampening),
                             nesterov: nesterov, maximize: maximize))
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let options = core.options
        core.forEachGradient(maximize: options.maximize) { group, parameter, gradient, state in
            if options.momentum != 0, let buffer = state.tensors["momentum_buffer"],
               Self.fusedMomentumStep(parameter, gradient, buffer, options: options, lr: group.lr!,
                                      weightDecay: group.decay!) {
                state.step += 1
                return
            }
            var gradient = gradient
            if group.decay! != 0 { gradient = gradient + parameter * Float(group.decay!) }
            if options.momentum != 0 {
                let buffer: Tensor
                if let existing = state.tensors["momentum_buffer"] {
                    existing *= Float(options.momentum)
                    existing.addInPlace(gradient, alpha: Float(1 - options.dampening))
                    buffer = existing
                } else {
                    buffer = stateCopy(gradient)
                    state.tensors["momentum_buffer"] = buffer
                }
                gradient = options.nesterov ? gradient + buffer * Float(options.momentum) : buffer
            }
            state.step += 1
            parameter.addInPlace(gradient, alpha: Float(-group.lr!))
        }
    }

    /// A step with an existing momentum buffer as one pass over a float32 parameter, its
    /// gradient and the buffer (``NDArray/sgdMomentumUpdateInPlace(gradient:momentumBuffer:_:)``,
    /// the same bits as the separate ops of ``step()``); false, changing nothing, when the
    /// arrays do not allow it.
    private static func fusedMomentumStep(
        _ parameter: Parameter, _ gradient: Tensor, _ buffer: Tensor, options: Options, lr: Double, weightDecay: Double
    ) -> Bool {
        let coefficients = SGDMomentumCoefficients(
            gradientDecay: Float(weightDecay), momentum: Float(options.momentum),
            gradientWeight: Float(1 - options.dampening), stepScale: Float(-lr), nesterov: options.nesterov)
        guard parameter.array.sgdMomentumUpdateInPlace(gradient: gradient.array, momentumBuffer: buffer.array,
                                                       coefficients) else { return false }
        // What the in-place ops would have recorded: each storage changed once more.
        for tensor in [parameter, buffer] { tensor.array.storage.version += 1 }
        return true
    }

    /// The state: `momentum_buffer` of each parameter, the groups' options and SGD's own.
    public func stateDict() -> StateDict { core.stateDict() }

    /// Restores a state from ``stateDict()``; on error nothing changes.
    public func load(stateDict: StateDict) throws(StateDictError) { try core.load(stateDict) }
}
