import AutogradCore
import Foundation

extension Tensor {
    /// The Gaussian error linear unit `x·Φ(x)` (Φ the standard normal CDF), or with
    /// `tanhApproximation` `x/2·(1 + tanh(√(2/π)·(x + 0.044715x³)))`, in one pass, like
    /// `torch.nn.functional.gelu` (`GeluBackward0`).
    public func gelu(tanhApproximation: Bool = false) -> Tensor {
        checkUsage(dtype.isFloatingPoint, "\"GeluKernelImpl\" not implemented for '\(dtype.scalarTypeName)'")
        return Tensor.record(array.gelu(tanhApproximation: tanhApproximation), .gelu(tanhApproximation: tanhApproximation),
                             input: self)
    }

    /// Layer normalisation over the trailing `normalizedShape` dimensions in one pass, like
    /// `torch.nn.functional.layer_norm` (`NativeLayerNormBackward0`):
    /// `(x - mean)/√(var + eps)·weight + bias`, biased variance, `weight` and `bias` of shape
    /// `normalizedShape` (a bias needs a weight).
    public func layerNorm(normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
        checkUsage(!normalizedShape.isEmpty && Array(shape.suffix(normalizedShape.count)) == normalizedShape,
                   "layer_norm: Given normalized_shape=\(normalizedShape), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shape)")
        checkUsage(weight.map { $0.shape == normalizedShape } ?? true,
                   "layer_norm: Expected weight to be of same shape as normalized_shape, but got weight of shape \(weight?.shape ?? []) and normalized_shape = \(normalizedShape)")
        checkUsage(bias.map { $0.shape == normalizedShape } ?? true,
                   "layer_norm: Expected bias to be of same shape as normalized_shape, but got bias of shape \(bias?.shape ?? []) and normalized_shape = \(normalizedShape)")
        checkUsage(bias == nil || weight != nil, "layer_norm: a bias needs a weight")
        checkUsage(dtype.isFloatingPoint, "\"LayerNormKernelImpl\" not implemented for '\(dtype.scalarTypeName)'")
        let width = normalizedShape.reduce(1, *)
        let (output, mean, reciprocalStd) = array.layerNormalized(width: width, weight: weight?.array, bias: bias?.array, eps: eps)
        let op = Op.layerNorm(normalizedShape: normalizedShape, eps: eps, hasWeight: weight != nil, hasBias: bias != nil)
        return Tensor.record(output, op, inputs: [self] + [weight, bias].compactMap { $0 },
                             auxiliary: .rowStatistics(mean: mean, reciprocalStd: reciprocalStd))
    }
}

extension Node {
    /// GELU's input gradient: the fused kernel, or the same derivative as tensor ops when
    /// the backward pass is recorded.
    func geluGradient(_ grad: Tensor, input: Tensor, tanhApproximation: Bool) -> Tensor {
        guard GradMode.isEnabled else {
            return Tensor(input.array.geluBackward(grad.array, tanhApproximation: tanhApproximation))
        }
        if tanhApproximation {
            let (root2OverPi, cubic) = ((2 / Double.pi).squareRoot(), 0.044715)
            let t = (input + input * input * input * cubic) * root2OverPi
            let tanh = t.tanh()
            let derivative = (tanh + 1) * 0.5 + input * 0.5 * (1 - tanh * tanh) * ((input * input * (3 * cubic) + 1) * root2OverPi)
            return grad * derivative
        }
        let cdf = ((input * 0.5.squareRoot()).erf() + 1) * 0.5
        let density = (input * input * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
        return grad * (cdf + input * density)
    }

    /// Layer normalisation's gradients (input, then weight and bias when present): the fused
    /// kernel from the saved row statistics, or, when the backward pass is recorded, the
    /// same formulas as tensor ops on statistics recomputed from the input (so they can be
    /// differentiated again).
    func layerNormGradients(
        _ grad: Tensor, input: Tensor, weight: Tensor?, hasBias: Bool, normalizedShape: [Int], eps: Double,
        mean: NDArray, reciprocalStd: NDArray
    ) -> [Tensor?] {
        let width = normalizedShape.reduce(1, *)
        guard GradMode.isEnabled else {
            let (dx, dw, db) = input.array.layerNormBackward(
                grad.array, mean: mean, reciprocalStd: reciprocalStd, weight: weight?.array, width: width)
            let parameterGradients = [dw.map { Tensor(reshapedArray($0, normalizedShape)) }]
                + (hasBias ? [Tensor(reshapedArray(db, normalizedShape))] : [])
            return [Tensor(dx)] + (weight == nil ? [] : parameterGradients)
        }
        let dims = Array((input.rank - normalizedShape.count)..<input.rank)
        let centred = input - input.mean(dims: dims, keepDim: true)
        let rstd = ((centred * centred).mean(dims: dims, keepDim: true) + eps).rsqrt()
        let normalized = centred * rstd
        let g = weight.map { grad * $0 } ?? grad
        let inputGradient = rstd * (g - g.mean(dims: dims, keepDim: true)
            - normalized * (g * normalized).mean(dims: dims, keepDim: true))
        guard weight != nil else { return [inputGradient] }
        let rows = Array(0..<(input.rank - normalizedShape.count))
        let weightGradient = rows.isEmpty ? grad * normalized : (grad * normalized).sum(dims: rows)
        let biasGradient = rows.isEmpty ? grad : grad.sum(dims: rows)
        return [inputGradient, weightGradient] + (hasBias ? [biasGradient] : [])
    }

    private func reshapedArray(_ array: NDArray, _ shape: [Int]) -> NDArray {
        trapOnShapeError { () throws(ShapeError) in try array.reshaped(shape) }
    }
}
