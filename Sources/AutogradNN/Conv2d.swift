import AutogradCore
import AutogradEngine

/// A 2-D convolution layer, like `torch.nn.Conv2d`: `y = conv2d(x, weight, bias)`.
///
/// `weight` has shape `[outChannels, inChannels / groups, kh, kw]` and `bias`
/// `[outChannels]`; both are initialised as PyTorch does (Kaiming-uniform with `a = √5`,
/// so uniform in ±1/√fanIn, and the bias in the same range) and can be replaced by
/// assignment, as in the seed's exercise 4:
/// ```swift
/// let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)
/// conv.weight = Parameter(w)
/// let y = conv(image)            // image: [N, 1, H, W] → [N, 1, H - 2, W - 2]
/// ```
/// With `groups > 1` the channels are split into that many groups, each convolved with
/// its own kernels (`groups == inChannels` is a depthwise convolution).
public final class Conv2d: Module {
    /// The kernels, `[outChannels, inChannels / groups, kh, kw]`.
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
    /// Zeros added on each side, per axis.
    public let padding: (Int, Int)
    /// Spacing between kernel taps, per axis.
    public let dilation: (Int, Int)
    /// The number of channel groups convolved separately.
    public let groups: Int

    /// A layer with square kernels and the same stride, padding and dilation on both axes.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int,
        stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
        generator: RandomGenerator = .default
    ) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation),
                  groups: groups, bias: bias, generator: generator)
    }

    /// A layer with (height, width) kernel size, stride, padding and dilation, and weights
    /// drawn from `generator`.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: (Int, Int),
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
        groups: Int = 1, bias: Bool = true, generator: RandomGenerator = .default
    ) {
        checkUsage(groups > 0, "Conv2d: groups must be a positive integer, got \(groups)")
        checkUsage(inChannels % groups == 0, "Conv2d: in_channels (\(inChannels)) must be divisible by groups (\(groups))")
        checkUsage(outChannels % groups == 0, "Conv2d: out_channels (\(outChannels)) must be divisible by groups (\(groups))")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        let shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
        weight = Parameter(Init.kaimingUniform(shape, a: Float(5).squareRoot(), generator: generator))
        self.bias = bias ? Parameter(Init.defaultBias([outChannels], fanIn: Init.fanIn(of: shape), generator: generator)) : nil
    }

    /// Applies the convolution to `input` (`[N, inChannels, H, W]`).
    public override func forward(_ input: Tensor) -> Tensor {
        if groups != 1 {
            checkUsage(input.rank == 4 && input.shape[1] == inChannels,
                       "conv2d: Given groups=\(groups), weight of size \(weight.shape), expected input\(input.shape) to have \(inChannels) channels")
        }
        return groupedConv2d(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// PyTorch's settings string, such as `1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)`.
    public override var extraDescription: String {
        func pair(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }
        var parts = ["\(inChannels)", "\(outChannels)", "kernel_size=\(pair(kernelSize))", "stride=\(pair(stride))"]
        if padding != (0, 0) { parts.append("padding=\(pair(padding))") }
        if dilation != (1, 1) { parts.append("dilation=\(pair(dilation))") }
        if groups != 1 { parts.append("groups=\(groups)") }
        if bias == nil { parts.append("bias=False") }
        return parts.joined(separator: ", ")
    }
}

/// A 2-D convolution whose channels are split into `groups` groups, each convolved with
/// its own slice of `weight` (`[out, in / groups, kh, kw]`), the results joined along the
/// channels; with one group, plain ``conv2d(_:_:_:stride:padding:dilation:)``.
func groupedConv2d(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor?,
    stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
) -> Tensor {
    if groups == 1 { return conv2d(input, weight, bias, stride: stride, padding: padding, dilation: dilation) }
    let (inPerGroup, outPerGroup) = (input.shape[1] / groups, weight.shape[0] / groups)
    let outputs = (0..<groups).map { g in
        conv2d(input.slice(dim: 1, start: g * inPerGroup, end: (g + 1) * inPerGroup),
               weight.slice(dim: 0, start: g * outPerGroup, end: (g + 1) * outPerGroup),
               stride: stride, padding: padding, dilation: dilation)
    }
    let joined = cat(outputs, dim: 1)
    return bias.map { joined + $0.reshape([1, weight.shape[0], 1, 1]) } ?? joined
}
