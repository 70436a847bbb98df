import AutogradCore
import AutogradEngine

/// A fully connected layer, like `torch.nn.Linear`: `y = x·Wᵀ + b`.
///
/// `weight` is `[outFeatures, inFeatures]` and `bias` `[outFeatures]`, initialised as
/// PyTorch does (Kaiming-uniform with `a = √5`, so uniform in `±1/√inFeatures`, and the
/// bias in the same range). The input is `[..., inFeatures]`.
/// ```swift
/// let layer = Linear(inFeatures: 64, outFeatures: 10)
/// let logits = layer(x)          // x: [batch, 64] → [batch, 10]
/// ```
public final class Linear: Module {
    /// The weights, `[outFeatures, inFeatures]`.
    public var weight: Parameter
    /// One value per output, or nil for a layer without bias.
    public var bias: Parameter?
    /// The size of each input's last dimension.
    public let inFeatures: Int
    /// The size of each output's last dimension.
    public let outFeatures: Int

    /// A layer with freshly initialised weights drawn from `generator`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, generator: RandomGenerator = .default) {
        checkUsage(inFeatures >= 0 && outFeatures >= 0, "Linear: sizes must be non-negative, got \(inFeatures) and \(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(Init.kaimingUniform([outFeatures, inFeatures], a: Float(5).squareRoot(), generator: generator))
        self.bias = bias ? Parameter(Init.defaultBias([outFeatures], fanIn: inFeatures, generator: generator)) : nil
    }

    /// `input·weightᵀ + bias` for `input` of shape `[..., inFeatures]`.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(input.shape.last == inFeatures,
                     "linear: mat1 and mat2 shapes cannot be multiplied (input \(input.shape), weight \(weight.shape))")
        let product = input.matmul(weight.mT)
        return bias.map { product + $0 } ?? product
    }

    /// `in_features=…, out_features=…, bias=…`, as PyTorch prints it.
    public override var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")"
    }
}
