import AutogradEngine

/// A 2-D convolution layer, like `torch.nn.Conv2d`: `y = conv2d(x, weight, bias)`.
///
/// `weight` has shape `[outChannels, inChannels, kernelSize, kernelSize]` and `bias`
/// `[outChannels]`; both are initialised as PyTorch does (uniform in ±1/√fanIn) and can
/// be replaced by assignment, as in the seed's exercise 4:
/// ```swift
/// let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3)
/// conv.weight = Parameter(w)
/// let y = conv(image)
/// ```
public final class Conv2d {
    /// The kernels, `[outChannels, inChannels, kh, kw]`.
    public var weight: Parameter
    /// One value per output channel, or nil for a layer without bias.
    public var bias: Parameter?
    /// Step between windows.
    public let stride: Int
    /// Zeros added on each side.
    public let padding: Int
    /// Spacing between kernel taps.
    public let dilation: Int

    /// A layer with freshly initialised weights.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int,
        stride: Int = 1, padding: Int = 0, dilation: Int = 1, bias: Bool = true
    ) {
        let fanIn = inChannels * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        var generator = SystemRandomNumberGenerator()
        func uniform(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -bound...bound, using: &generator) })
        }
        weight = Parameter(uniform([outChannels, inChannels, kernelSize, kernelSize]))
        self.bias = bias ? Parameter(uniform([outChannels])) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// Applies the convolution to `input` (`[N, inChannels, H, W]`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        conv2d(input, weight, bias, stride: stride, padding: padding, dilation: dilation)
    }
}
