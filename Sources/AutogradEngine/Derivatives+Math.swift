import AutogradCore

/// The backward rules of the elementwise math functions (log1p, silu,
/// softplus, the inverse trigonometric functions, remainder, clamp with tensor bounds,
/// nan_to_num), written with differentiable tensor ops so they can be differentiated again.
extension Node {
    /// The gradient of a one-input smooth function, from its saved input or result
    /// (PyTorch's formulas in derivatives.yaml).
    func smoothFunctionGradient(_ grad: Tensor, _ saved: UnpackedSavedValues) throws(AutogradError) -> Tensor {
        switch op {
        case .log1p: return try grad / (saved.first() + 1)
        case .expm1: return try grad * (saved.result() + 1)
        case .rsqrt: return try grad * -0.5 * saved.result().pow(3.0)
        case .tan:
            let r = try saved.result()
            return grad * (1 + r * r)
        case .silu:
            let x = try saved.first()
            let s = x.sigmoid()
            return grad * s * (1 + x * (1 - s))
        case .sinh: return try grad * saved.first().cosh()
        case .cosh: return try grad * saved.first().sinh()
        case .asin:
            let x = try saved.first()
            return grad * (1 - x * x).rsqrt()
        case .acos:
            let x = try saved.first()
            return -grad * (1 - x * x).rsqrt()
        case .atan:
            let x = try saved.first()
            return grad / (x * x + 1)
        case .softplus(let beta, let threshold):
            // Where βx > threshold the forward was x itself.
            let scaled = try saved.first() * beta
            return Tensor.where(scaled .> threshold, grad, grad * scaled.sigmoid())
        case .nanToNum: return try grad.maskedFill(.!saved.first().isfinite(), 0)
        default: throw .savedValueMissing(node: name)
        }
    }

    /// remainder(a, b) = a - b·floor(a / b) and fmod(a, b) = a - b·trunc(a / b): the
    /// gradient of a is the gradient, that of b is -grad·floor(a / b) (trunc for fmod).
    func remainderGradients(_ grad: Tensor, _ a: Tensor, _ b: Tensor) -> [Tensor?] {
        guard edges[1].carriesGradient else { return [grad, nil] }
        let quotient = a / b
        let rounded = op.isFmod ? quotient.trunc() : quotient.floor()
        return [grad, -grad * rounded]
    }

    /// clamp with tensor bounds: each element's gradient goes to the input, the lower
    /// bound or the upper bound, or half to the input and half to a bound it ties with, as
    /// `code` (``Tensor/clampGradientRoute(_:low:high:)``) recorded in the forward pass.
    func clampGradients(_ grad: Tensor, code: NDArray, hasMin: Bool, hasMax: Bool) -> [Tensor?] {
        let routes = code.integers
        /// The gradient times 1 where the route is `whole`, 0.5 where it is one of `halves`, else 0.
        func share(whole: Int64, halves: ClosedRange<Int64>) -> Tensor {
            var weights = [Double](repeating: 0, count: routes.count)
            for i in 0..<routes.count {
                if routes[i] == whole { weights[i] = 1 } else if halves.contains(routes[i]) { weights[i] = 0.5 }
            }
            return grad * Tensor(NDArray(shape: code.shape, doubles: weights, dtype: grad.dtype))
        }
        var result: [Tensor?] = [share(whole: 0, halves: 4...5)]
        if hasMin { result.append(edges[result.count].carriesGradient ? share(whole: 1, halves: 4...4) : nil) }
        if hasMax { result.append(edges[result.count].carriesGradient ? share(whole: 2, halves: 5...5) : nil) }
        return result
    }
}

extension Op {
    /// True for `fmod` with a tensor divisor.
    var isFmod: Bool {
        if case .fmod = self { return true }
        return false
    }
}
