import AutogradCore
import AutogradEngine
import Foundation

// The in-place initialisers of `torch.nn.init`. Each writes into the tensor's storage
// without recording (as PyTorch runs them under `no_grad`), keeps the tensor's dtype, and
// returns the tensor. A tensor without elements is returned unchanged.
extension Init {
    /// Fills `tensor` with values from the normal distribution N(`mean`, `std`²), like
    /// `torch.nn.init.normal_`.
    @discardableResult
    public static func normal(_ tensor: Tensor, mean: Float = 0, std: Float = 1, generator: RandomGenerator = .default) -> Tensor {
        checkFloatingPoint(tensor, kernel: "normal_kernel_cpu")
        return overwrite(tensor, with: generator.normal(count: tensor.count, mean: mean, standardDeviation: std))
    }

    /// Fills `tensor` with values uniform in `[a, b)`, like `torch.nn.init.uniform_`.
    @discardableResult
    public static func uniform(_ tensor: Tensor, a: Float = 0, b: Float = 1, generator: RandomGenerator = .default) -> Tensor {
        checkFloatingPoint(tensor, kernel: "check_uniform_bounds")
        checkUsage(a <= b, "uniform_ expects to return a [from, to) range, but found from=\(a) > to=\(b)")
        return overwrite(tensor, with: generator.uniform(count: tensor.count, low: a, high: b))
    }

    /// Fills `tensor` with `value`, like `torch.nn.init.constant_`.
    @discardableResult
    public static func constant(_ tensor: Tensor, value: Float) -> Tensor {
        noGrad { tensor.fill(value) }
        return tensor
    }

    /// Fills `tensor` with zeros, like `torch.nn.init.zeros_`.
    @discardableResult
    public static func zeros(_ tensor: Tensor) -> Tensor { constant(tensor, value: 0) }

    /// Fills `tensor` with ones, like `torch.nn.init.ones_`.
    @discardableResult
    public static func ones(_ tensor: Tensor) -> Tensor { constant(tensor, value: 1) }

    /// Glorot (Xavier) uniform initialisation, like `torch.nn.init.xavier_uniform_`: values
    /// uniform in `±gain·√(6 / (fanIn + fanOut))`.
    @discardableResult
    public static func xavierUniform(_ tensor: Tensor, gain: Float = 1, generator: RandomGenerator = .default) -> Tensor {
        guard tensor.count > 0 else { return tensor }
        let bound = Float(3.0.squareRoot()) * xavierStandardDeviation(tensor.shape, gain: gain)
        return uniform(tensor, a: -bound, b: bound, generator: generator)
    }

    /// Glorot (Xavier) normal initialisation, like `torch.nn.init.xavier_normal_`: values
    /// from N(0, std²) with `std = gain·√(2 / (fanIn + fanOut))`.
    @discardableResult
    public static func xavierNormal(_ tensor: Tensor, gain: Float = 1, generator: RandomGenerator = .default) -> Tensor {
        guard tensor.count > 0 else { return tensor }
        return normal(tensor, mean: 0, std: xavierStandardDeviation(tensor.shape, gain: gain), generator: generator)
    }

    /// He (Kaiming) uniform initialisation, like `torch.nn.init.kaiming_uniform_`: values
    /// uniform in `±gain·√(3 / fan)`, with `gain = calculateGain(nonlinearity, param: a)`
    /// (`a` is leaky ReLU's negative slope) and `fan` the fan-in or fan-out per `mode`.
    @discardableResult
    public static func kaimingUniform(
        _ tensor: Tensor, a: Float = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
        generator: RandomGenerator = .default
    ) -> Tensor {
        guard tensor.count > 0 else { return tensor }
        let bound = Float(3.0.squareRoot()) * kaimingStandardDeviation(tensor.shape, a: a, mode: mode, nonlinearity: nonlinearity)
        return uniform(tensor, a: -bound, b: bound, generator: generator)
    }

    /// He (Kaiming) normal initialisation, like `torch.nn.init.kaiming_normal_`: values from
    /// N(0, std²) with `std = gain / √fan` (see ``kaimingUniform(_:a:mode:nonlinearity:generator:)``).
    @discardableResult
    public static func kaimingNormal(
        _ tensor: Tensor, a: Float = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
        generator: RandomGenerator = .default
    ) -> Tensor {
        guard tensor.count > 0 else { return tensor }
        let std = kaimingStandardDeviation(tensor.shape, a: a, mode: mode, nonlinearity: nonlinearity)
        return normal(tensor, mean: 0, std: std, generator: generator)
    }

    /// Fills `tensor` from the normal distribution N(`mean`, `std`²) truncated to `[a, b]`
    /// (absolute bounds, not multiples of `std`), like `torch.nn.init.trunc_normal_`:
    /// uniform draws mapped through the inverse normal distribution function between the
    /// bounds' probabilities, so no draw is rejected.
    @discardableResult
    public static func truncNormal(
        _ tensor: Tensor, mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2,
        generator: RandomGenerator = .default
    ) -> Tensor {
        checkFloatingPoint(tensor, kernel: "normal_kernel_cpu")
        checkUsage(a <= b, "trunc_normal_: the lower bound a (\(a)) must not exceed the upper bound b (\(b))")
        let (mean, std, a, b) = (Double(mean), Double(std), Double(a), Double(b))
        func normalCDF(_ x: Double) -> Double { (1 + Foundation.erf(x / 2.0.squareRoot())) / 2 }
        let low = 2 * normalCDF((a - mean) / std) - 1
        let high = 2 * normalCDF((b - mean) / std) - 1
        let draws = generator.uniform(count: tensor.count, low: Float(low), high: Float(high))
        let values = draws.map { draw in
            Swift.min(Swift.max(inverseErf(Double(draw)) * std * 2.0.squareRoot() + mean, a), b)
        }
        noGrad { tensor.copy(from: Tensor(NDArray(shape: tensor.shape, doubles: values, dtype: tensor.dtype))) }
        return tensor
    }

    // MARK: - Helpers

    /// Stops with PyTorch's message when a random initialiser is given a tensor that cannot
    /// hold its values.
    private static func checkFloatingPoint(_ tensor: Tensor, kernel: String) {
        checkUsage(tensor.dtype.isFloatingPoint, "\"\(kernel)\" not implemented for '\(tensor.dtype.scalarTypeName)'")
    }

    /// Writes `values` (row-major) into `tensor` without recording, in the tensor's dtype.
    private static func overwrite(_ tensor: Tensor, with values: [Float]) -> Tensor {
        guard tensor.count > 0 else { return tensor }
        noGrad { tensor.copy(from: Tensor(shape: tensor.shape, scalars: values).to(tensor.dtype)) }
        return tensor
    }

    /// `gain·√(2 / (fanIn + fanOut))`.
    private static func xavierStandardDeviation(_ shape: [Int], gain: Float) -> Float {
        let fans = fanInAndFanOut(of: shape)
        return Float(Double(gain) * (2 / Double(fans.fanIn + fans.fanOut)).squareRoot())
    }

    /// `gain / √fan` for a Kaiming initialiser.
    private static func kaimingStandardDeviation(_ shape: [Int], a: Float, mode: FanMode, nonlinearity: Nonlinearity) -> Float {
        let gain = Double(calculateGain(nonlinearity, param: a))
        return Float(gain / Double(fan(of: shape, mode: mode)).squareRoot())
    }
}

/// The inverse error function on `(-1, 1)` (±infinity at ±1): Giles' single-precision
/// approximation refined by two Newton steps on `erf`, accurate to double precision.
func inverseErf(_ y: Double) -> Double {
    if y <= -1 { return -.infinity }
    if y >= 1 { return .infinity }
    var w = -Foundation.log((1 - y) * (1 + y))
    var p: Double
    if w < 5 {
        w -= 2.5
        p = 2.81022636e-08
        for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941] { p = c + p * w }
    } else {
        w = w.squareRoot() - 3
        p = -0.000200214257
        for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682] { p = c + p * w }
    }
    var x = p * y
    for _ in 0..<2 {
        let slope = 2 / Double.pi.squareRoot() * Foundation.exp(-x * x)
        guard slope > 0 else { break }
        x -= (Foundation.erf(x) - y) / slope
    }
    return x
}
