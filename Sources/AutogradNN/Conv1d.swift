import AutogradCore
import AutogradEngine

/// A 1-D convolution layer, like `torch.nn.Conv1d`: `y = conv1d(x, weight, bias)` over
/// sequences `[N, inChannels, L]` (or one sequence `[inChannels, L]`).
///
/// `weight` has shape `[outChannels, inChannels / groups, kernelSize]` and `bias`
/// `[outChannels]`, initialised as PyTorch does (Kaiming-uniform with `a = √5`, so uniform
/// in ±1/√fanIn, and the bias in the same range). In float32 the convolution runs as a
/// 2-D one on a height-1 image; other dtypes gather the kernel taps and multiply.
/// ```swift
/// let conv = Conv1d(inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1)
/// let y = conv(x)                // x: [N, 8, L] → [N, 16, L]
/// ```
public final class Conv1d: Module {
    /// The kernels, `[outChannels, inChannels / groups, kernelSize]`.
    public var weight: Parameter
    /// One value per output channel, or nil for a layer without bias.
    public var bias: Parameter?
    /// The number of input channels.
    public let inChannels: Int
    /// The number of output channels.
    public let outChannels: Int
    /// The kernel length.
    public let kernelSize: Int
    /// Step between windows.
    public let stride: Int
    /// Zeros added at each end.
    public let padding: Int
    /// Spacing between kernel taps.
    public let dilation: Int
    /// The number of channel groups convolved separately.
    public let groups: Int

    /// A layer with weights of `dtype` drawn from `generator`.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int,
        stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
        dtype: DType = .float32, generator: RandomGenerator = .default
    ) {
        checkUsage(groups > 0, "non-positive groups is not supported")
        checkUsage(inChannels % groups == 0, "in_channels must be divisible by groups")
        checkUsage(outChannels % groups == 0, "out_channels must be divisible by groups")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        let shape = [outChannels, inChannels / groups, kernelSize]
        weight = Parameter(Init.kaimingUniform(shape, a: Float(5).squareRoot(), generator: generator).to(dtype))
        self.bias = bias
            ? Parameter(Init.defaultBias([outChannels], fanIn: Init.fanIn(of: shape), generator: generator).to(dtype))
            : nil
    }

    /// Applies the convolution to `input`, `[N, inChannels, L]` or `[inChannels, L]`.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(input.rank == 2 || input.rank == 3,
                   "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: \(input.shape)")
        let batched = input.rank == 3 ? input : input.unsqueeze(0)
        checkUsage(batched.shape[1] == inChannels,
                   "Given groups=\(groups), weight of size \(weight.shape), expected input\(batched.shape) to have \(inChannels) channels, but got \(batched.shape[1]) channels instead")
        let output: Tensor
        if batched.dtype == .float32 && weight.dtype == .float32 {
            output = groupedConv2d(batched.unsqueeze(2), weight.unsqueeze(2), bias,
                                   stride: (1, stride), padding: (0, padding), dilation: (1, dilation), groups: groups)
                .squeeze(2)
        } else {
            output = convolutionByTaps(batched)
        }
        return input.rank == 3 ? output : output.squeeze(0)
    }

    /// The convolution for dtypes the float32 convolution kernel does not take (float64,
    /// half precision): each kernel tap gathers its input positions, and one matrix
    /// product per group combines the taps with the weights.
    private func convolutionByTaps(_ input: Tensor) -> Tensor {
        let padded = padding > 0 ? pad(input, [padding, padding]) : input
        let span = dilation * (kernelSize - 1) + 1
        checkUsage(padded.shape[2] >= span,
                   "Calculated padded input size per channel: (\(padded.shape[2])). Kernel size: (\(span)). Kernel size can't be greater than actual input size")
        let outputLength = (padded.shape[2] - span) / stride + 1
        let (inPerGroup, outPerGroup) = (inChannels / groups, outChannels / groups)
        let outputs = (0..<groups).map { g in
            let channels = groups == 1 ? padded : padded.slice(dim: 1, start: g * inPerGroup, end: (g + 1) * inPerGroup)
            let taps = (0..<kernelSize).map { k in
                channels.indexSelect(dim: 2, indices: (0..<outputLength).map { $0 * stride + k * dilation })
            }
            let patches = stack(taps, dim: 2).reshape([input.shape[0], inPerGroup * kernelSize, outputLength])
            let kernels = groups == 1 ? weight : weight.slice(dim: 0, start: g * outPerGroup, end: (g + 1) * outPerGroup)
            return kernels.reshape([outPerGroup, inPerGroup * kernelSize]).matmul(patches)
        }
        let joined = groups == 1 ? outputs[0] : cat(outputs, dim: 1)
        return bias.map { joined + $0.reshape([outChannels, 1]) } ?? joined
    }

    /// PyTorch's settings string, such as `2, 4, kernel_size=(3,), stride=(1,)`.
    public override var extraDescription: String {
        var parts = ["\(inChannels)", "\(outChannels)", "kernel_size=(\(kernelSize),)", "stride=(\(stride),)"]
        if padding != 0 { parts.append("padding=(\(padding),)") }
        if dilation != 1 { parts.append("dilation=(\(dilation),)") }
        if groups != 1 { parts.append("groups=\(groups)") }
        if bias == nil { parts.append("bias=False") }
        return parts.joined(separator: ", ")
    }
}
