import AutogradCore
import AutogradEngine

/// Group normalisation, like `torch.nn.GroupNorm`: the channels (dimension 1) of each
/// sample are split into `numGroups` groups, each group is normalised over its channels and
/// all positions, then every channel is scaled and shifted:
/// `y = (x - mean) / √(var + eps) · weight + bias` (biased variance). Unlike batch
/// normalisation it does not depend on the batch, so it behaves the same in training and
/// evaluation.
/// ```swift
/// let norm = GroupNorm(numGroups: 2, numChannels: 6)
/// let y = norm(x)             // x: [N, 6, ...] → same shape
/// ```
public final class GroupNorm: Module {
    /// The per-channel scale (ones at first), or nil without `affine`.
    public var weight: Parameter?
    /// The per-channel shift (zeros at first), or nil without `affine` or `bias`.
    public var bias: Parameter?
    /// The number of groups the channels are split into.
    public let numGroups: Int
    /// The number of channels the input has.
    public let numChannels: Int
    /// Added to the variance for stability.
    public let eps: Float

    /// A layer normalising `numChannels` channels in `numGroups` groups; `affine` adds
    /// the per-channel scale and (unless `bias` is false) shift, of `dtype`.
    public init(numGroups: Int, numChannels: Int, eps: Float = 1e-5, affine: Bool = true, bias: Bool = true,
                dtype: DType = .float32) {
        checkUsage(numGroups > 0, "GroupNorm: num_groups must be positive, got \(numGroups)")
        checkUsage(numChannels % numGroups == 0,
                   "num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups))")
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        if affine {
            weight = Parameter(Tensor.ones([numChannels], dtype: dtype))
            if bias { self.bias = Parameter(Tensor.zeros([numChannels], dtype: dtype)) }
        }
    }

    /// Normalises `input` (`[N, C, ...]`) per sample and group.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(input.rank >= 2 && input.shape[1] == numChannels,
                   "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [\(numChannels)] and input of shape \(input.shape)")
        let grouped = input.reshape([input.shape[0], numGroups, -1])
        let mean = grouped.mean(dim: 2, keepDim: true)
        let centred = grouped - mean
        let variance = (centred * centred).mean(dim: 2, keepDim: true)
        var output = (centred / (variance + eps).sqrt()).reshape(input.shape)
        var channelShape = [Int](repeating: 1, count: input.rank)
        channelShape[1] = numChannels
        if let weight { output = output * weight.reshape(channelShape) }
        if let bias { output = output + bias.reshape(channelShape) }
        return output
    }

    /// PyTorch's settings string, such as `2, 6, eps=1e-05, affine=True, bias=True`.
    public override var extraDescription: String {
        "\(numGroups), \(numChannels), eps=\(formatPyTorchFloat(eps)), affine=\(weight == nil ? "False" : "True"), bias=\(bias == nil ? "False" : "True")"
    }
}
