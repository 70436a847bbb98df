import AutogradCore
import AutogradEngine

/// A 2-D transposed convolution layer, like `torch.nn.ConvTranspose2d`: the adjoint of a
/// ``Conv2d`` with the same geometry, which upsamples (`stride: 2` roughly doubles the
/// height and width). The output size per axis is
/// `(H - 1)·stride - 2·padding + dilation·(kernelSize - 1) + outputPadding + 1`.
///
/// `weight` has PyTorch's shape `[inChannels, outChannels / groups, kh, kw]` and `bias`
/// `[outChannels]`, initialised as PyTorch does (Kaiming-uniform with `a = √5`, whose fan-in
/// is `outChannels / groups · kh · kw` for this layout, and the bias in ±1/√fanIn). Float32.
/// ```swift
/// let up = ConvTranspose2d(inChannels: 16, outChannels: 8, kernelSize: 4, stride: 2, padding: 1)
/// let y = up(x)                  // x: [N, 16, H, W] → [N, 8, 2H, 2W]
/// ```
public final class ConvTranspose2d: Module {
    /// The kernels, `[inChannels, outChannels / groups, kh, kw]`.
    public var weight: Parameter
    /// One value per output channel, or nil for a layer without bias.
    public var bias: Parameter?
    /// The number of input channels.
    public let inChannels: Int
    /// The number of output channels.
    public let outChannels: Int
    /// Kernel height and width.
    public let kernelSize: (Int, Int)
    /// Step between windows, per axis.
    public let stride: (Int, Int)
    /// Rows and columns cropped from each side of the full output, per axis.
    public let padding: (Int, Int)
    /// Rows and columns added at the bottom and right, per axis.
    public let outputPadding: (Int, Int)
    /// Spacing between kernel taps, per axis.
    public let dilation: (Int, Int)
    /// The number of channel groups transposed separately.
    public let groups: Int

    /// A layer with square kernels and the same stride, padding, output padding and
    /// dilation on both axes.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1,
        generator: RandomGenerator = .default
    ) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), outputPadding: (outputPadding, outputPadding),
                  groups: groups, bias: bias, dilation: (dilation, dilation), generator: generator)
    }

    /// A layer with (height, width) settings and weights drawn from `generator`.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true,
        dilation: (Int, Int) = (1, 1), generator: RandomGenerator = .default
    ) {
        checkUsage(groups > 0, "non-positive groups is not supported")
        checkUsage(inChannels % groups == 0, "in_channels must be divisible by groups")
        checkUsage(outChannels % groups == 0, "out_channels must be divisible by groups")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        let shape = [inChannels, outChannels / groups, kernelSize.0, kernelSize.1]
        weight = Parameter(Init.kaimingUniform(shape, a: Float(5).squareRoot(), generator: generator))
        self.bias = bias ? Parameter(Init.defaultBias([outChannels], fanIn: Init.fanIn(of: shape), generator: generator)) : nil
    }

    /// Applies the layer to `input`, `[N, inChannels, H, W]` or one image `[inChannels, H, W]`.
    public override func forward(_ input: Tensor) -> Tensor {
        checkUsage(input.rank == 3 || input.rank == 4,
                   "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: \(input.shape)")
        let batched = input.rank == 4 ? input : input.unsqueeze(0)
        checkUsage(batched.shape[1] == inChannels,
                   "Given transposed=1, weight of size \(weight.shape), expected input\(batched.shape) to have \(inChannels) channels, but got \(batched.shape[1]) channels instead")
        let (inPerGroup, outPerGroup) = (inChannels / groups, outChannels / groups)
        let outputs = (0..<groups).map { g in
            let channels = groups == 1 ? batched : batched.slice(dim: 1, start: g * inPerGroup, end: (g + 1) * inPerGroup)
            let kernels = groups == 1 ? weight : weight.slice(dim: 0, start: g * inPerGroup, end: (g + 1) * inPerGroup)
            let groupBias = groups == 1 ? bias : bias?.slice(dim: 0, start: g * outPerGroup, end: (g + 1) * outPerGroup)
            return convTranspose2d(channels, kernels, groupBias, stride: stride, padding: padding,
                                   outputPadding: outputPadding, dilation: dilation)
        }
        let output = groups == 1 ? outputs[0] : cat(outputs, dim: 1)
        return input.rank == 4 ? output : output.squeeze(0)
    }

    /// PyTorch's settings string, such as `16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)`.
    public override var extraDescription: String {
        func pair(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }
        var parts = ["\(inChannels)", "\(outChannels)", "kernel_size=\(pair(kernelSize))", "stride=\(pair(stride))"]
        if padding != (0, 0) { parts.append("padding=\(pair(padding))") }
        if dilation != (1, 1) { parts.append("dilation=\(pair(dilation))") }
        if outputPadding != (0, 0) { parts.append("output_padding=\(pair(outputPadding))") }
        if groups != 1 { parts.append("groups=\(groups)") }
        if bias == nil { parts.append("bias=False") }
        return parts.joined(separator: ", ")
    }
}
