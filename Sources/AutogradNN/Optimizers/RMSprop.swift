import AutogradCore
import AutogradEngine

/// RMSprop, like `torch.optim.RMSprop`: steps divided by a running root mean square of the
/// gradients.
///
/// For each parameter `p` with gradient `g`:
/// ```text
/// g ← g + weightDecay·p
/// v ← α·v + (1 - α)·g²
/// d ← √v + eps, or √(v - ḡ²) + eps when centered (ḡ ← α·ḡ + (1 - α)·g)
/// b ← momentum·b + g / d;  p ← p - learningRate·b     (with momentum)
/// p ← p - learningRate·g / d                          (without)
/// ```
public final class RMSprop: Optimizer {
    /// The parameters being optimised.
    public let parameters: [Parameter]
    /// The step size.
    public var learningRate: Float
    /// The smoothing constant α of the running averages.
    public let alpha: Float
    /// Added to the denominator for stability.
    public let eps: Float
    /// The L2 penalty added to each gradient.
    public let weightDecay: Float
    /// The momentum factor (0 for none).
    public let momentum: Float
    /// Whether to divide by an estimate of the gradient's variance instead of its second moment.
    public let centered: Bool
    /// Whether to maximise the objective instead of minimising it.
    public let maximize: Bool
    /// Each parameter's running averages, made on its first step.
    private var states: [State?]

    /// The per-parameter state: PyTorch's `square_avg`, `grad_avg` and `momentum_buffer`.
    private struct State {
        let squareAverage: Tensor
        let gradientAverage: Tensor?
        let momentumBuffer: Tensor?
    }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public init(
        parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
        weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false, maximize: Bool = false
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        checkUsage(momentum >= 0, "Invalid momentum value: \(momentum)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        checkUsage(alpha >= 0, "Invalid alpha value: \(alpha)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        self.maximize = maximize
        states = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        noGrad {
            for (index, parameter) in parameters.enumerated() {
                guard let grad = parameter.grad else { continue }
                var gradient = maximize ? -grad : grad
                if weightDecay != 0 { gradient = gradient + parameter * weightDecay }
                let state = states[index] ?? State(
                    squareAverage: Tensor.zeros(parameter.shape),
                    gradientAverage: centered ? Tensor.zeros(parameter.shape) : nil,
                    momentumBuffer: momentum > 0 ? Tensor.zeros(parameter.shape) : nil)
                states[index] = state
                state.squareAverage *= alpha
                state.squareAverage.addInPlace(gradient * gradient, alpha: 1 - alpha)
                var average: Tensor
                if let gradientAverage = state.gradientAverage {
                    gradientAverage.addInPlace(gradient - gradientAverage, alpha: 1 - alpha)
                    average = (state.squareAverage - gradientAverage * gradientAverage).sqrt()
                } else {
                    average = state.squareAverage.sqrt()
                }
                average = average + eps
                if let buffer = state.momentumBuffer {
                    buffer *= momentum
                    buffer.addInPlace(gradient / average)
                    parameter.addInPlace(buffer, alpha: -learningRate)
                } else {
                    parameter.addInPlace(gradient / average, alpha: -learningRate)
                }
            }
        }
    }
}
