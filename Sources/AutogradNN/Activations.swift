import AutogradEngine

/// `max(x, 0)` elementwise, like `torch.nn.ReLU`.
public final class ReLU: Module {
    /// The layer (it has no settings).
    public override init() {}
    /// `input.relu()`.
    public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// The Gaussian error linear unit, like `torch.nn.GELU`: `x · Φ(x)` with Φ the standard
/// normal distribution function, `0.5·x·(1 + erf(x/√2))`; or, with
/// `approximate: .tanh`, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
public final class GELU: Module {
    /// How Φ is computed.
    public enum Approximation: String, Sendable {
        /// Exactly, with the error function (PyTorch's `approximate='none'`).
        case none
        /// With the tanh formula (PyTorch's `approximate='tanh'`).
        case tanh
    }

    /// How Φ is computed.
    public let approximate: Approximation

    /// The layer, exact unless `approximate` is `.tanh`.
    public init(approximate: Approximation = .none) { self.approximate = approximate }

    /// `gelu(input)`.
    public override func forward(_ input: Tensor) -> Tensor { gelu(input, approximate: approximate) }

    /// PyTorch's settings string, `approximate='none'`.
    public override var extraDescription: String { "approximate='\(approximate.rawValue)'" }
}

/// The Gaussian error linear unit, like `torch.nn.functional.gelu`; see ``GELU``.
public func gelu(_ input: Tensor, approximate: GELU.Approximation = .none) -> Tensor {
    input.gelu(tanhApproximation: approximate == .tanh)
}

/// The hyperbolic tangent elementwise, like `torch.nn.Tanh`.
public final class Tanh: Module {
    /// The layer (it has no settings).
    public override init() {}
    /// `input.tanh()`.
    public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// The logistic function `1 / (1 + e^-x)` elementwise, like `torch.nn.Sigmoid`.
public final class Sigmoid: Module {
    /// The layer (it has no settings).
    public override init() {}
    /// `input.sigmoid()`.
    public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// Softmax along `dim`, like `torch.nn.Softmax`: `exp(x) / Σ exp(x)`.
public final class Softmax: Module {
    /// The dimension that sums to 1.
    public let dim: Int
    /// The layer normalising along `dim`.
    public init(dim: Int) { self.dim = dim }
    /// `input.softmax(dim: dim)`.
    public override func forward(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }
    /// PyTorch's settings string, `dim=1`.
    public override var extraDescription: String { "dim=\(dim)" }
}

/// The logarithm of softmax along `dim`, like `torch.nn.LogSoftmax`: `x - log Σ exp(x)`,
/// computed stably.
public final class LogSoftmax: Module {
    /// The dimension normalised over.
    public let dim: Int
    /// The layer normalising along `dim`.
    public init(dim: Int) { self.dim = dim }
    /// `input.logSoftmax(dim: dim)`.
    public override func forward(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }
    /// PyTorch's settings string, `dim=1`.
    public override var extraDescription: String { "dim=\(dim)" }
}

/// The sigmoid-weighted linear unit `x · σ(x)` elementwise, like `torch.nn.SiLU` (also
/// called swish).
public final class SiLU: Module {
    /// The layer (it has no settings).
    public override init() {}
    /// `silu(input)`.
    public override func forward(_ input: Tensor) -> Tensor { silu(input) }
}

/// `x · σ(x)` elementwise, like `torch.nn.functional.silu`.
public func silu(_ input: Tensor) -> Tensor { input * input.sigmoid() }

/// A smooth approximation of ReLU, like `torch.nn.Softplus`:
/// `softplus(x) = log(1 + e^(β·x)) / β`, and `x` itself where `β·x > threshold` (where
/// the two agree to float precision).
public final class Softplus: Module {
    /// β: larger values bring the curve closer to ReLU.
    public let beta: Float
    /// Above this value of `β·x` the layer returns `x`.
    public let threshold: Float

    /// The layer with PyTorch's defaults, β = 1 and threshold 20.
    public init(beta: Float = 1, threshold: Float = 20) {
        self.beta = beta
        self.threshold = threshold
    }

    /// `softplus(input, beta: beta, threshold: threshold)`.
    public override func forward(_ input: Tensor) -> Tensor { softplus(input, beta: beta, threshold: threshold) }

    /// PyTorch's settings string, `beta=1.0, threshold=20.0`.
    public override var extraDescription: String {
        "beta=\(formatPyTorchFloat(beta)), threshold=\(formatPyTorchFloat(threshold))"
    }
}
