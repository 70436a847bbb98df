import AutogradCore
import AutogradEngine

/// Weight initialisers, like `torch.nn.init`, drawing from a ``RandomGenerator``.
///
/// The functions named after PyTorch's (`normal`, `uniform`, `xavierUniform`,
/// `kaimingNormal`, `truncNormal`, ...) fill an existing tensor or ``Parameter`` in place,
/// without recording on the graph, and return it, as `torch.nn.init.normal_` and friends do:
/// ```swift
/// let layer = Linear(inFeatures: 64, outFeatures: 64)
/// Init.normal(layer.weight, mean: 0, std: 0.02)
/// Init.zeros(layer.bias!)
/// model.apply { module in
///     if let linear = module as? Linear { Init.xavierUniform(linear.weight) }
/// }
/// ```
public enum Init {
    /// Which fan a Kaiming initialiser preserves the variance of, like PyTorch's `mode`.
    public enum FanMode: String, Sendable {
        /// The fan-in: the variance of the activations in the forward pass.
        case fanIn = "fan_in"
        /// The fan-out: the variance of the gradients in the backward pass.
        case fanOut = "fan_out"
    }

    /// The nonlinearity a weight feeds, for ``calculateGain(_:param:)``, named as in
    /// PyTorch (`Nonlinearity.leakyRelu.rawValue` is `"leaky_relu"`).
    public enum Nonlinearity: String, Sendable, CaseIterable {
        /// No nonlinearity (gain 1).
        case linear
        /// A 1-D convolution (gain 1).
        case conv1d
        /// A 2-D convolution (gain 1).
        case conv2d
        /// A 3-D convolution (gain 1).
        case conv3d
        /// A 1-D transposed convolution (gain 1).
        case convTranspose1d = "conv_transpose1d"
        /// A 2-D transposed convolution (gain 1).
        case convTranspose2d = "conv_transpose2d"
        /// A 3-D transposed convolution (gain 1).
        case convTranspose3d = "conv_transpose3d"
        /// The logistic function (gain 1).
        case sigmoid
        /// The hyperbolic tangent (gain 5/3).
        case tanh
        /// ReLU (gain √2).
        case relu
        /// Leaky ReLU with negative slope `param` (0.01 when nil): gain √(2 / (1 + slope²)).
        case leakyRelu = "leaky_relu"
        /// SELU (gain 3/4).
        case selu
    }

    /// The recommended gain for a nonlinearity, like `torch.nn.init.calculate_gain`: the
    /// factor that keeps the variance of activations steady through the layer. `param` is
    /// leaky ReLU's negative slope (0.01 when nil) and is ignored for the others.
    public static func calculateGain(_ nonlinearity: Nonlinearity, param: Float? = nil) -> Float {
        switch nonlinearity {
        case .linear, .conv1d, .conv2d, .conv3d, .convTranspose1d, .convTranspose2d, .convTranspose3d, .sigmoid:
            return 1
        case .tanh: return 5 / 3
        case .relu: return Float(2.0.squareRoot())
        case .leakyRelu:
            let slope = Double(param ?? 0.01)
            return Float((2 / (1 + slope * slope)).squareRoot())
        case .selu: return 3 / 4
        }
    }

    /// The fan-in and fan-out of a weight of `shape`, like PyTorch's
    /// `_calculate_fan_in_and_fan_out`: `shape[1]` and `shape[0]`, each times the product
    /// of the remaining (kernel) sizes (`[out, in]` → `(in, out)`, `[out, in, kh, kw]` →
    /// `(in·kh·kw, out·kh·kw)`).
    public static func fanInAndFanOut(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        checkUsage(shape.count >= 2, "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
        let receptiveField = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptiveField, shape[0] * receptiveField)
    }

    /// The fan-in of a weight of `shape` (see ``fanInAndFanOut(of:)``).
    public static func fanIn(of shape: [Int]) -> Int { fanInAndFanOut(of: shape).fanIn }

    /// The fan a Kaiming initialiser uses for `shape` in `mode`.
    public static func fan(of shape: [Int], mode: FanMode) -> Int {
        let fans = fanInAndFanOut(of: shape)
        return mode == .fanIn ? fans.fanIn : fans.fanOut
    }

    /// He (Kaiming) uniform initialisation for a leaky-ReLU gain with negative slope `a`:
    /// a new float32 tensor of `shape` with values uniform in `±gain·√(3 / fanIn)`,
    /// `gain = √(2 / (1 + a²))`. With PyTorch's layer default `a = √5` the bound is
    /// `1/√fanIn`, which is how ``Linear`` and ``Conv2d`` initialise their weights.
    public static func kaimingUniform(_ shape: [Int], a: Float = 0, generator: RandomGenerator = .default) -> Tensor {
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = gain * (3 / Float(fanIn(of: shape))).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, generator: generator)
    }

    /// The default bias of a layer whose weight has `fanIn` inputs: uniform in
    /// `±1/√fanIn` (zeros when `fanIn` is 0), as `Linear` and `Conv2d` initialise it.
    public static func defaultBias(_ shape: [Int], fanIn: Int, generator: RandomGenerator = .default) -> Tensor {
        guard fanIn > 0 else { return Tensor.zeros(shape) }
        let bound = 1 / Float(fanIn).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, generator: generator)
    }
}
