import AutogradCore
import AutogradEngine

/// Root-mean-square normalisation, like `torch.nn.RMSNorm`: each sample is divided by the
/// root mean square of its last `normalizedShape.count` dimensions, then scaled
/// elementwise: `y = x / √(mean(x²) + eps) · weight`. There is no centring and no shift.
/// ```swift
/// let norm = RMSNorm(normalizedShape: [128])
/// let y = norm(x)             // x: [..., 128] → same shape
/// ```
public final class RMSNorm: Module {
    /// The scale, of shape `normalizedShape` (ones at first), or nil without `elementwiseAffine`.
    public var weight: Parameter?
    /// The trailing shape normalised over.
    public let normalizedShape: [Int]
    /// Added to the mean square for stability; nil uses the machine epsilon of the input's
    /// dtype (`torch.finfo(x.dtype).eps`), as PyTorch does.
    public let eps: Float?

    /// A layer normalising over trailing dimensions of `normalizedShape`, with a scale of
    /// `dtype` unless `elementwiseAffine` is false.
    public init(normalizedShape: [Int], eps: Float? = nil, elementwiseAffine: Bool = true, dtype: DType = .float32) {
        checkUsage(!normalizedShape.isEmpty, "RMSNorm: normalized_shape must not be empty")
        self.normalizedShape = normalizedShape
        self.eps = eps
        if elementwiseAffine { weight = Parameter(Tensor.ones(normalizedShape, dtype: dtype)) }
    }

    /// Normalises `input`, whose trailing dimensions must be `normalizedShape`.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
                   "Given normalized_shape=\(normalizedShape), expected input with shape [*\(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(input.shape)")
        let dims = Array((input.rank - normalizedShape.count)..<input.rank)
        let meanSquare = (input * input).mean(dims: dims, keepDim: true)
        let output = input * (meanSquare + (eps.map { Double($0) } ?? machineEpsilon(input.dtype))).sqrt().reciprocal()
        return weight.map { output * $0 } ?? output
    }

    /// PyTorch's settings string, such as `(16,), eps=None, elementwise_affine=True`.
    public override var extraDescription: String {
        "\(formatPyTorchTuple(normalizedShape)), eps=\(eps.map(formatPyTorchFloat) ?? "None"), elementwise_affine=\(weight == nil ? "False" : "True")"
    }
}

/// The difference between 1 and the next larger number of a floating dtype,
/// `torch.finfo(dtype).eps`.
func machineEpsilon(_ dtype: DType) -> Double {
    switch dtype {
    case .float64: return Double.ulpOfOne
    case .float16: return 0x1p-10
    case .bfloat16: return 0x1p-7
    default: return Double(Float.ulpOfOne)
    }
}
