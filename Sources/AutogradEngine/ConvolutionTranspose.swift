import AutogradCore

/// A 2-D transposed convolution of a batch of images, like
/// `torch.nn.functional.conv_transpose2d` with one group: the adjoint of
/// ``conv2d(_:_:_:stride:padding:dilation:)`` with the same geometry, so each input pixel
/// scatters `weight[c]` times its value into a window of the output.
///
/// The output size per axis is `(H - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1`.
/// It runs as one matrix product per image (`weightᵀ · input` gives every window's
/// contributions as columns) and a fold that adds the columns into the image, so backward
/// is the fold's adjoint (an unfold) and matrix products.
/// - Parameters:
///   - input: `[N, C, H, W]`.
///   - weight: `[C, O, kh, kw]` (PyTorch's layout for transposed convolutions).
///   - bias: `[O]`, or nil.
///   - outputPadding: rows and columns added at the bottom and right; each must be smaller
///     than the stride on its axis.
/// - Returns: `[N, O, outH, outW]`.
public func convTranspose2d(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil,
    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1)
) -> Tensor {
    checkUsage(input.rank == 4 && weight.rank == 4,
               "conv_transpose2d: expected a 4-D input [N, C, H, W] and a 4-D weight [C, O, kh, kw], got input \(input.shape) and weight \(weight.shape)")
    checkUsage(input.shape[1] == weight.shape[0],
               "Given transposed=1, weight of size \(weight.shape), expected input\(input.shape) to have \(weight.shape[0]) channels, but got \(input.shape[1]) channels instead")
    checkUsage(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 && padding.0 >= 0 && padding.1 >= 0,
               "conv_transpose2d: stride and dilation must be positive and padding non-negative, got stride \(stride), padding \(padding), dilation \(dilation)")
    checkUsage(outputPadding.0 >= 0 && outputPadding.1 >= 0 && outputPadding.0 < stride.0 && outputPadding.1 < stride.1,
               "conv_transpose2d: output padding must be smaller than the stride, but got output_padding_height: \(outputPadding.0) output_padding_width: \(outputPadding.1) stride_height: \(stride.0) stride_width: \(stride.1)")
    let (n, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (outChannels, kernel) = (weight.shape[1], (weight.shape[2], weight.shape[3]))
    let outHeight = (height - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kernel.0 - 1) + outputPadding.0 + 1
    let outWidth = (width - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kernel.1 - 1) + outputPadding.1 + 1
    checkUsage(outHeight > 0 && outWidth > 0,
               "conv_transpose2d: the output size \([outHeight, outWidth]) for input \(input.shape) is too small")
    if let bias {
        checkUsage(bias.shape == [outChannels], "conv_transpose2d: expected a bias of shape [\(outChannels)], got \(bias.shape)")
    }
    let geometry = ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    // Every input pixel's window, as columns [N, O·kh·kw, H·W]; folding them adds the
    // overlapping windows and drops the positions that fall in the padding.
    let columns = weight.reshape([channels, -1]).mT.matmul(input.reshape([n, channels, height * width]))
    let output = columns.fold(geometry, imageShape: [n, outChannels, outHeight, outWidth])
    return bias.map { output + $0.reshape([1, outChannels, 1, 1]) } ?? output
}

/// ``convTranspose2d(_:_:_:stride:padding:outputPadding:dilation:)`` with the same stride,
/// padding, output padding and dilation on both axes.
public func convTranspose2d(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil,
    stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1
) -> Tensor {
    convTranspose2d(input, weight, bias, stride: (stride, stride), padding: (padding, padding),
                    outputPadding: (outputPadding, outputPadding), dilation: (dilation, dilation))
}
