import CAutogradKernels

extension NDArray {
    /// Pooling work (window taps over the batch) from which the planes are split over
    /// the kernel threads.
    static let parallelPoolingWork = 1 << 16

    /// Runs `body` on runs of `0..<planes` (first, count), split over the kernel threads
    /// when `work` is at least ``parallelPoolingWork``, otherwise in one call.
    private static func forEachRun(ofPlanes planes: Int, work: Int, _ body: (Int, Int) -> Void) {
        let parts = work >= parallelPoolingWork ? Swift.min(Kernels.threadCount, planes) : 1
        guard parts > 1 else { return body(0, planes) }
        parallelFor(parts) { part in
            let first = planes * part / parts, end = planes * (part + 1) / parts
            body(first, end - first)
        }
    }

    /// Max pooling of images `[N, C, H, W]` (PyTorch's `max_pool2d_with_indices`): each
    /// output is the largest tap of its window (windows of `geometry.kernel` taps spaced by
    /// the dilation, moved by the stride over the image padded with `-∞`), with the flat
    /// index `y·W + x` of that tap in its plane. Ties go to the first tap in row-major
    /// order and NaN wins, as in PyTorch. Returns values and indices, both
    /// `[N, C, outH, outW]` (the indices as exact floats: planes hold at most 2²⁴ pixels).
    public func maxPooled(_ geometry: ConvolutionGeometry) -> (values: NDArray, indices: NDArray) {
        checkUsage(rank == 4, "max_pool2d: expected a 4-D input [N, C, H, W], got \(shape)")
        checkFloat32Kernel("max_pool2d")
        let source = contiguous()
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        checkUsage(h * w <= 1 << 24, "max_pool2d: planes of more than 2^24 pixels are not supported, got \(h)x\(w)")
        let (oh, ow) = trapOnShapeError { () throws(ShapeError) in try geometry.checkedOutputSize(height: h, width: w, op: "max_pool2d") }
        checkUsage(geometry.everyWindowHasATap(height: h, width: w),
                     "max_pool2d: some windows of \(geometry) lie wholly in the padding of a \(h)x\(w) image")
        let values = NDArray(uninitialized: [n, c, oh, ow]), indices = NDArray(uninitialized: [n, c, oh, ow])
        let work = n * c * oh * ow * geometry.kernel.0 * geometry.kernel.1
        Self.forEachRun(ofPlanes: n * c, work: work) { first, count in
            ag_max_pool2d(source.pointer + first * h * w, Int64(count), Int64(h), Int64(w),
                          Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                          Int64(geometry.stride.0), Int64(geometry.stride.1),
                          Int64(geometry.padding.0), Int64(geometry.padding.1),
                          Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                          Int64(oh), Int64(ow),
                          values.storage.base + first * oh * ow, indices.storage.base + first * oh * ow)
        }
        return (values, indices)
    }

    /// The input gradient of ``maxPooled(_:)``: each entry of `grad` (`[N, C, outH, outW]`)
    /// added into zeros of `inputShape` at the position `indices` recorded for it.
    public static func maxPoolGradient(_ grad: NDArray, indices: NDArray, inputShape: [Int]) -> NDArray {
        checkUsage(grad.shape == indices.shape && inputShape.count == 4 && grad.rank == 4
                     && Array(grad.shape[..<2]) == Array(inputShape[..<2]),
                     "max_pool2d backward: gradient \(grad.shape) and indices \(indices.shape) do not match input \(inputShape)")
        let gradient = grad.contiguous(), positions = indices.contiguous()
        let planes = inputShape[0] * inputShape[1]
        let (inputSize, outputSize) = (inputShape[2] * inputShape[3], grad.shape[2] * grad.shape[3])
        let result = NDArray(zeros: inputShape)
        Self.forEachRun(ofPlanes: planes, work: planes * outputSize * 4) { first, count in
            ag_max_pool2d_backward(gradient.pointer + first * outputSize, positions.pointer + first * outputSize,
                                   Int64(count), Int64(inputSize), Int64(outputSize),
                                   result.storage.base + first * inputSize)
        }
        return result
    }
}

extension ConvolutionGeometry {
    /// Whether every window over an image of `height` × `width` has a tap inside the
    /// image (not the case when a dilation larger than the image skips over it).
    func everyWindowHasATap(height: Int, width: Int) -> Bool {
        let (oh, ow) = outputSize(height: height, width: width)
        func covered(_ size: Int, _ count: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Bool {
            (0..<count).allSatisfy { j in
                (0..<kernel).contains { i in (0..<size).contains(j * stride - padding + i * dilation) }
            }
        }
        return covered(height, oh, kernel.0, stride.0, padding.0, dilation.0)
            && covered(width, ow, kernel.1, stride.1, padding.1, dilation.1)
    }
}
