import AutogradCore
import AutogradEngine

/// Stochastic gradient descent with momentum, like `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`, step by step:
/// ```text
/// g ← g + weightDecay·p
/// b ← g on the first step, else momentum·b + (1 - dampening)·g
/// g ← g + momentum·b (Nesterov), or b
/// p ← p - learningRate·g          (+ with maximize)
/// ```
public final class SGD: Optimizer {
    /// The parameters being optimised.
    public let parameters: [Parameter]
    /// The step size.
    public var learningRate: Float
    /// The momentum factor (0 for plain SGD).
    public let momentum: Float
    /// How much of each new gradient the momentum buffer leaves out.
    public let dampening: Float
    /// The L2 penalty added to each gradient.
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Whether to maximise the objective instead of minimising it.
    public let maximize: Bool
    /// The momentum buffer of each parameter, made on its first step.
    private var momentumBuffers: [Tensor?]

    /// An optimizer for `parameters` with PyTorch's defaults.
    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false, maximize: Bool = false
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(momentum >= 0, "Invalid momentum value: \(momentum)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        checkUsage(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.maximize = maximize
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        noGrad {
            for (index, parameter) in parameters.enumerated() {
                guard var gradient = parameter.grad else { continue }
                if weightDecay != 0 { gradient = gradient + parameter * weightDecay }
                if momentum != 0 {
                    let buffer: Tensor
                    if let existing = momentumBuffers[index] {
                        existing *= momentum
                        existing.addInPlace(gradient, alpha: 1 - dampening)
                        buffer = existing
                    } else {
                        buffer = Tensor(gradient.array.copy())
                        momentumBuffers[index] = buffer
                    }
                    gradient = nesterov ? gradient + buffer * momentum : buffer
                }
                parameter.addInPlace(gradient, alpha: maximize ? learningRate : -learningRate)
            }
        }
    }
}
