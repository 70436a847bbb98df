import AutogradCore
import AutogradEngine
import Foundation

/// Adam, like `torch.optim.Adam`: steps scaled by running estimates of the gradient's
/// first and second moments, with bias correction.
///
/// For each parameter `p` with gradient `g` at step `t`:
/// ```text
/// g ← g + weightDecay·p                       (Adam; AdamW decays p instead)
/// m ← β₁·m + (1 - β₁)·g
/// v ← β₂·v + (1 - β₂)·g²                      (v̂ = max of all v with amsgrad)
/// p ← p - learningRate / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + eps)
/// ```
public class Adam: Optimizer {
    /// The parameters being optimised.
    public let parameters: [Parameter]
    /// The step size.
    public var learningRate: Float
    /// The decay rates of the first and second moment estimates.
    public let betas: (Float, Float)
    /// Added to the denominator for stability.
    public let eps: Float
    /// The weight decay: an L2 penalty on the gradient (Adam) or a direct shrinking of the
    /// parameter (AdamW).
    public let weightDecay: Float
    /// Whether to divide by the largest second-moment estimate so far (AMSGrad).
    public let amsgrad: Bool
    /// Whether to maximise the objective instead of minimising it.
    public let maximize: Bool
    /// Whether weight decay shrinks the parameter directly (AdamW).
    let decoupledWeightDecay: Bool
    /// Each parameter's moment estimates and step count, made on its first step.
    private var states: [State?]

    /// The per-parameter state: PyTorch's `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `step`.
    private struct State {
        let firstMoment: Tensor
        let secondMoment: Tensor
        var largestSecondMoment: Tensor?
        var step = 0
    }

    /// An optimizer for `parameters` with PyTorch's defaults.
    public convenience init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0, amsgrad: Bool = false, maximize: Bool = false
    ) {
        self.init(parameters: parameters, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: false)
    }

    init(
        parameters: [Parameter], learningRate: Float, betas: (Float, Float), eps: Float,
        weightDecay: Float, amsgrad: Bool, maximize: Bool, decoupledWeightDecay: Bool
    ) {
        checkUsage(learningRate >= 0, "Invalid learning rate: \(learningRate)")
        checkUsage(eps >= 0, "Invalid epsilon value: \(eps)")
        checkUsage((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "Invalid beta parameters: \(betas)")
        checkUsage(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.maximize = maximize
        self.decoupledWeightDecay = decoupledWeightDecay
        states = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        noGrad {
            for (index, parameter) in parameters.enumerated() {
                guard let grad = parameter.grad else { continue }
                var gradient = maximize ? -grad : grad
                var state = states[index] ?? State(
                    firstMoment: Tensor.zeros(parameter.shape), secondMoment: Tensor.zeros(parameter.shape),
                    largestSecondMoment: amsgrad ? Tensor.zeros(parameter.shape) : nil)
                state.step += 1
                if weightDecay != 0 {
                    if decoupledWeightDecay {
                        parameter *= 1 - learningRate * weightDecay
                    } else {
                        gradient = gradient + parameter * weightDecay
                    }
                }
                state.firstMoment.addInPlace(gradient - state.firstMoment, alpha: 1 - betas.0)
                state.secondMoment *= betas.1
                state.secondMoment.addInPlace(gradient * gradient, alpha: 1 - betas.1)
                let biasCorrection1 = 1 - Foundation.pow(Double(betas.0), Double(state.step))
                let biasCorrection2 = 1 - Foundation.pow(Double(betas.1), Double(state.step))
                let stepSize = Float(Double(learningRate) / biasCorrection1)
                var secondMoment = state.secondMoment
                if let largest = state.largestSecondMoment {
                    largest.copy(from: largest.maximum(state.secondMoment))
                    secondMoment = largest
                }
                let denominator = secondMoment.sqrt() / Float(biasCorrection2.squareRoot()) + eps
                parameter.addInPlace(state.firstMoment / denominator, alpha: -stepSize)
                states[index] = state
            }
        }
    }
}

/// Adam with decoupled weight decay, like `torch.optim.AdamW`: each step first shrinks the
/// parameter, `p ← p·(1 - learningRate·weightDecay)`, then takes Adam's step without a
/// penalty in the gradient. See ``Adam``.
public final class AdamW: Adam {
    /// An optimizer for `parameters` with PyTorch's defaults (weight decay 0.01).
    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        super.init(parameters: parameters, learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                   amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: true)
    }
}
