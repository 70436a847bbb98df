import AutogradCore
import AutogradEngine

/// The largest value in each window of a batch of images, like
/// `torch.nn.functional.max_pool2d`.
///
/// `input` is `[N, C, H, W]`; windows of `kernelSize` taps (spaced by `dilation`) move by
/// `stride` (the kernel size when nil) over the image padded with `-∞`. The gradient goes
/// to the first largest tap of each window, as in PyTorch. One kernel, recorded as
/// `MaxPool2DWithIndicesBackward0` (see ``Tensor/maxPool2d(_:)``).
public func maxPool2d(
    _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
    padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
) -> Tensor {
    input.maxPool2d(poolingGeometry("max_pool2d", input, kernelSize, stride, padding, dilation))
}

/// The mean of each window of a batch of images, like `torch.nn.functional.avg_pool2d`.
///
/// Windows of `kernelSize` move by `stride` (the kernel size when nil) over the image
/// padded with zeros; with `countIncludePad` (PyTorch's default) the padding counts in the
/// divisor, otherwise only the taps inside the image do.
public func avgPool2d(
    _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
    padding: (Int, Int) = (0, 0), countIncludePad: Bool = true
) -> Tensor {
    let geometry = poolingGeometry("avg_pool2d", input, kernelSize, stride, padding, (1, 1))
    let taps = windows(of: input, geometry)
    guard !countIncludePad && padding != (0, 0) else {
        return reshapePooled(taps.mean(dim: 1), like: input, geometry)
    }
    let ones = Tensor.ones([1, 1, input.shape[2], input.shape[3]])
    let counts = windows(of: ones, geometry).sum(dim: 1)
    return reshapePooled(taps.sum(dim: 1) / counts, like: input, geometry)
}

/// The mean over `outputSize.0 × outputSize.1` regions that tile each image, like
/// `torch.nn.functional.adaptive_avg_pool2d`: output row `i` averages input rows
/// `⌊i·H/outH⌋ ..< ⌈(i+1)·H/outH⌉`, and likewise for columns.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: (Int, Int)) -> Tensor {
    checkUsage(input.rank == 4, "adaptive_avg_pool2d: expected a 4-D input [N, C, H, W], got \(input.shape)")
    checkUsage(outputSize.0 > 0 && outputSize.1 > 0, "adaptive_avg_pool2d: output size must be positive, got \(outputSize)")
    checkUsage(input.shape.dropFirst().allSatisfy { $0 > 0 },
               "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes \(input.shape) with dimension of size 0")
    let (height, width) = (input.shape[2], input.shape[3])
    if height % outputSize.0 == 0 && width % outputSize.1 == 0 {
        let kernel = (height / outputSize.0, width / outputSize.1)
        return avgPool2d(input, kernelSize: kernel)
    }
    // The regions are products of row ranges and column ranges, so average rows, then columns.
    func pool(_ x: Tensor, dim: Int, size: Int, bins: Int) -> Tensor {
        cat((0..<bins).map { i in
            x.slice(dim: dim, start: i * size / bins, end: ((i + 1) * size + bins - 1) / bins).mean(dim: dim, keepDim: true)
        }, dim: dim)
    }
    return pool(pool(input, dim: 2, size: height, bins: outputSize.0), dim: 3, size: width, bins: outputSize.1)
}

/// Checks a pooling call and returns its window geometry.
private func poolingGeometry(
    _ op: String, _ input: Tensor, _ kernelSize: (Int, Int), _ stride: (Int, Int)?,
    _ padding: (Int, Int), _ dilation: (Int, Int)
) -> ConvolutionGeometry {
    checkUsage(input.rank == 4, "\(op): expected a 4-D input [N, C, H, W], got \(input.shape)")
    let geometry = ConvolutionGeometry(kernel: kernelSize, stride: stride ?? kernelSize, padding: padding, dilation: dilation)
    _ = trapOnShapeError { () throws(ShapeError) in
        try geometry.checkedOutputSize(height: input.shape[2], width: input.shape[3], op: op)
    }
    checkUsage(padding.0 <= kernelSize.0 / 2 && padding.1 <= kernelSize.1 / 2,
               "\(op): pad should be at most half of effective kernel size, but got pad=\(padding), kernel_size=\(kernelSize)")
    return geometry
}

/// Each channel's windows as columns: `[N·C, kh·kw, outH·outW]`.
private func windows(of input: Tensor, _ geometry: ConvolutionGeometry) -> Tensor {
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    return input.reshape([n * c, 1, h, w]).unfold(geometry)
}

/// Pooled columns `[N·C, outH·outW]` back to images `[N, C, outH, outW]`.
private func reshapePooled(_ pooled: Tensor, like input: Tensor, _ geometry: ConvolutionGeometry) -> Tensor {
    let (outH, outW) = geometry.outputSize(height: input.shape[2], width: input.shape[3])
    return pooled.reshape([input.shape[0], input.shape[1], outH, outW])
}

/// Max pooling as a layer, like `torch.nn.MaxPool2d`; see ``maxPool2d(_:kernelSize:stride:padding:dilation:)``.
public final class MaxPool2d: Module {
    /// Window height and width.
    public let kernelSize: (Int, Int)
    /// Step between windows (the kernel size by default).
    public let stride: (Int, Int)
    /// `-∞` rows and columns added on each side.
    public let padding: (Int, Int)
    /// Spacing between window taps.
    public let dilation: (Int, Int)

    /// A layer with square windows; `stride` defaults to the kernel size.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
        let s = stride ?? kernelSize
        self.init(kernelSize: (kernelSize, kernelSize), stride: (s, s), padding: (padding, padding), dilation: (dilation, dilation))
    }

    /// A layer with (height, width) settings; `stride` defaults to the kernel size.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
    }

    /// Pools `input` (`[N, C, H, W]`).
    public override func forward(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }

    /// PyTorch's settings string.
    public override var extraDescription: String {
        "kernel_size=\(describeSize(kernelSize)), stride=\(describeSize(stride)), padding=\(describeSize(padding)), dilation=\(describeSize(dilation)), ceil_mode=False"
    }
}

/// Average pooling as a layer, like `torch.nn.AvgPool2d`; see ``avgPool2d(_:kernelSize:stride:padding:countIncludePad:)``.
public final class AvgPool2d: Module {
    /// Window height and width.
    public let kernelSize: (Int, Int)
    /// Step between windows (the kernel size by default).
    public let stride: (Int, Int)
    /// Zero rows and columns added on each side.
    public let padding: (Int, Int)
    /// Whether the padding counts in each window's divisor.
    public let countIncludePad: Bool

    /// A layer with square windows; `stride` defaults to the kernel size.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        let s = stride ?? kernelSize
        self.init(kernelSize: (kernelSize, kernelSize), stride: (s, s), padding: (padding, padding), countIncludePad: countIncludePad)
    }

    /// A layer with (height, width) settings; `stride` defaults to the kernel size.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
    }

    /// Pools `input` (`[N, C, H, W]`).
    public override func forward(_ input: Tensor) -> Tensor {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }

    /// PyTorch's settings string.
    public override var extraDescription: String {
        "kernel_size=\(describeSize(kernelSize)), stride=\(describeSize(stride)), padding=\(describeSize(padding))"
    }
}

/// Adaptive average pooling as a layer, like `torch.nn.AdaptiveAvgPool2d`; see
/// ``adaptiveAvgPool2d(_:outputSize:)``. `AdaptiveAvgPool2d(outputSize: (1, 1))` is global
/// average pooling.
public final class AdaptiveAvgPool2d: Module {
    /// The output height and width.
    public let outputSize: (Int, Int)

    /// A layer producing `outputSize.0 × outputSize.1` images.
    public init(outputSize: (Int, Int)) { self.outputSize = outputSize }

    /// A layer producing `outputSize × outputSize` images.
    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    /// Pools `input` (`[N, C, H, W]`).
    public override func forward(_ input: Tensor) -> Tensor { adaptiveAvgPool2d(input, outputSize: outputSize) }

    /// PyTorch's settings string.
    public override var extraDescription: String { "output_size=\(describeSize(outputSize))" }
}

/// A size as a pooling layer's repr shows it: `2` when both are equal, else `(2, 3)`.
func describeSize(_ pair: (Int, Int)) -> String { pair.0 == pair.1 ? "\(pair.0)" : "(\(pair.0), \(pair.1))" }
