import AutogradCore

/// A 2-D convolution (cross-correlation, as in deep learning) of a batch of images, like
/// `torch.nn.functional.conv2d`.
///
/// `out[n, o, y, x] = bias[o] + Σ_c Σ_i Σ_j weight[o, c, i, j] * input[n, c, y*s + i*d - p, x*s + j*d - p]`
/// - Parameters:
///   - input: `[N, C, H, W]`.
///   - weight: `[O, C, kh, kw]`.
///   - bias: `[O]`, or nil.
///   - stride, padding, dilation: the same for both axes.
/// - Returns: `[N, O, outH, outW]`, recorded as `ConvolutionBackward0`.
public func conv2d(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1
) -> Tensor {
    conv2d(input, weight, bias, stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation))
}

/// A 2-D convolution with separate (height, width) stride, padding and dilation; see
/// ``conv2d(_:_:_:stride:padding:dilation:)``.
public func conv2d(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil,
    stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1)
) -> Tensor {
    let geometry = ConvolutionGeometry(
        kernel: weight.rank == 4 ? (weight.shape[2], weight.shape[3]) : (0, 0),
        stride: stride, padding: padding, dilation: dilation)
    trapOnShapeError { () throws(ShapeError) in try checkConvolution(input.shape, weight.shape, bias?.shape, geometry) }
    // Direct, Winograd, implicit-GEMM or im2col + GEMM kernels, as AutogradCore's rules choose.
    let value = NDArray.convolution2d(input.array, weight.array, bias: bias?.array, geometry)
    return Tensor.record(
        value, .convolution(geometry, hasBias: bias != nil),
        inputs: [input, weight] + (bias.map { [$0] } ?? []))
}

/// Checks a convolution's operand shapes, with PyTorch's messages.
func checkConvolution(_ input: [Int], _ weight: [Int], _ bias: [Int]?, _ geometry: ConvolutionGeometry) throws(ShapeError) {
    guard weight.count == 4 else {
        throw .convolutionWeightRank(weight: weight)
    }
    guard input.count == 4 else {
        throw .convolutionInputRank(input: input, weight: weight)
    }
    guard input[1] == weight[1] else {
        throw .convolutionChannels(input: input, weight: weight)
    }
    if let bias, bias != [weight[0]] {
        throw .convolutionBias(bias: bias, weight: weight)
    }
    let padded = (input[2] + 2 * geometry.padding.0, input[3] + 2 * geometry.padding.1)
    let dilatedKernel = (geometry.dilation.0 * (weight[2] - 1) + 1, geometry.dilation.1 * (weight[3] - 1) + 1)
    if geometry.padding.0 >= 0, geometry.padding.1 >= 0, geometry.dilation.0 > 0, geometry.dilation.1 > 0,
       padded.0 < dilatedKernel.0 || padded.1 < dilatedKernel.1 {
        throw .kernelLargerThanInput(paddedInput: [padded.0, padded.1], kernel: [dilatedKernel.0, dilatedKernel.1])
    }
    _ = try geometry.checkedOutputSize(height: input[2], width: input[3], op: "conv2d")
}

extension Tensor {
    /// The sliding windows of a batch of images `[N, C, H, W]` as columns `[N, C*kh*kw, L]`,
    /// like `torch.nn.functional.unfold`; positions in the padding read as 0. Recorded as
    /// `Im2ColBackward0` (pooling layers and convolution's backward are built on it).
    public func unfold(_ geometry: ConvolutionGeometry) -> Tensor {
        Tensor.record(array.unfolded(geometry), .unfold(geometry), input: self)
    }

    /// Sums columns `[N, C*kh*kw, L]` back into images of `imageShape` (PyTorch's `fold`).
    func fold(_ geometry: ConvolutionGeometry, imageShape: [Int]) -> Tensor {
        Tensor.record(array.folded(geometry, imageShape: imageShape), .fold(geometry), input: self)
    }
}
