import CAutogradKernels

/// The geometry of a 2-D convolution: kernel size, stride, padding and dilation per axis.
public struct ConvolutionGeometry: Equatable, Sendable {
    /// Kernel height and width.
    public var kernel: (Int, Int)
    /// Step between windows, per axis.
    public var stride: (Int, Int)
    /// Zeros added on each side, per axis.
    public var padding: (Int, Int)
    /// Spacing between kernel taps, per axis.
    public var dilation: (Int, Int)

    /// A geometry from its parts.
    public init(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// The output height and width for an input of `height` x `width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        let h = (height + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let w = (width + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        return (h, w)
    }

    public static func == (a: ConvolutionGeometry, b: ConvolutionGeometry) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }
}

extension NDArray {
    /// Column counts (images x rows x positions) from which unfold and fold split the
    /// batch over the kernel threads.
    static let parallelImageWork = 1 << 16

    /// Runs `body` for each image in `0..<count`, one image per task on the thread pool when
    /// the whole job touches at least ``parallelImageWork`` elements, otherwise in a loop.
    static func forEachImage(_ count: Int, work: Int, _ body: (Int) -> Void) {
        if work >= parallelImageWork {
            parallelFor(count, body)
        } else {
            for image in 0..<count { body(image) }
        }
    }

    /// Unfolds a batch of images `[N, C, H, W]` into columns
    /// `[N, C * kh * kw, outH * outW]` (PyTorch's `unfold` / im2col).
    public func unfolded(_ geometry: ConvolutionGeometry) -> NDArray {
        precondition(rank == 4, "unfold: expected a 4-D input [N, C, H, W], got \(shape)")
        let source = contiguous()
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let rows = c * geometry.kernel.0 * geometry.kernel.1
        let result = NDArray(uninitialized: [n, rows, oh * ow])
        Self.forEachImage(n, work: n * rows * oh * ow) { image in
            ag_im2col(source.pointer + image * c * h * w, Int64(c), Int64(h), Int64(w),
                      Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                      Int64(geometry.stride.0), Int64(geometry.stride.1),
                      Int64(geometry.padding.0), Int64(geometry.padding.1),
                      Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                      Int64(oh), Int64(ow), result.storage.base + image * rows * oh * ow)
        }
        return result
    }

    /// Folds columns `[N, C * kh * kw, outH * outW]` back into images `[N, C, H, W]`,
    /// adding overlapping entries: the adjoint of ``unfolded(_:)``.
    public func folded(_ geometry: ConvolutionGeometry, imageShape: [Int]) -> NDArray {
        let source = contiguous()
        let (n, c, h, w) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let rows = c * geometry.kernel.0 * geometry.kernel.1
        precondition(shape == [n, rows, oh * ow], "fold: expected columns of shape \([n, rows, oh * ow]), got \(shape)")
        let result = NDArray(zeros: imageShape)
        Self.forEachImage(n, work: n * rows * oh * ow) { image in
            ag_col2im(source.pointer + image * rows * oh * ow, Int64(c), Int64(h), Int64(w),
                      Int64(geometry.kernel.0), Int64(geometry.kernel.1),
                      Int64(geometry.stride.0), Int64(geometry.stride.1),
                      Int64(geometry.padding.0), Int64(geometry.padding.1),
                      Int64(geometry.dilation.0), Int64(geometry.dilation.1),
                      Int64(oh), Int64(ow), result.storage.base + image * c * h * w)
        }
        return result
    }
}

// MARK: Convolution as im2col + GEMM, a block of columns at a time

/// Splits `0..<count` into `parts` contiguous runs and returns run `part`.
private func run(_ part: Int, of parts: Int, in count: Int) -> Range<Int> {
    (count * part / parts)..<(count * (part + 1) / parts)
}

extension ConvolutionGeometry {
    /// How many output positions to unfold at once: a block of columns (`rows` x block
    /// floats) of about 512 KB, the L2 size here. Smaller blocks repack the kernels more
    /// often, larger ones stream the columns from L3; 512 KB measured best for the
    /// 32→64 3×3 benchmark layer on Zen 3.
    func columnBlock(rows: Int, positions: Int) -> Int {
        Swift.min(positions, Swift.max(64, (1 << 17) / Swift.max(rows, 1) / 16 * 16))
    }
}

extension NDArray {
    /// A 2-D convolution (cross-correlation) of images `[N, C, H, W]` with kernels
    /// `[O, C, kh, kw]`, plus `bias` `[O]`: `out[n] = W·im2col(x[n]) + b`, giving
    /// `[N, O, outH, outW]`.
    ///
    /// Each image is unfolded a block of output positions at a time into a small scratch
    /// buffer that stays in cache while the GEMM multiplies it straight into the output
    /// (which holds the bias beforehand); the batch is split over the kernel threads. A
    /// 1×1 kernel with stride 1 and no padding skips the unfold. Shapes are checked by the
    /// caller.
    public static func convolution2d(
        _ input: NDArray, _ weight: NDArray, bias: NDArray?, _ geometry: ConvolutionGeometry
    ) -> NDArray {
        let source = input.contiguous(), kernels = weight.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = kernels.shape[0]
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let (rows, positions) = (c * geometry.kernel.0 * geometry.kernel.1, oh * ow)
        let result = NDArray(uninitialized: [n, outChannels, oh, ow])
        let biasValues = bias.map { $0.contiguous() }
        let pointwise = geometry.isPointwise
        let block = geometry.columnBlock(rows: rows, positions: positions)
        let parts = Swift.min(Kernels.threadCount, n)
        let scratch = pointwise ? nil : NDArray(uninitialized: [parts, rows * block])
        parallelFor(parts) { part in
            let columns = scratch.map { $0.storage.base + part * rows * block }
            for image in run(part, of: parts, in: n) {
                let output = result.storage.base + image * outChannels * positions
                let pixels = source.pointer + image * c * h * w
                if let biasValues {
                    for o in 0..<outChannels {
                        (output + o * positions).update(repeating: biasValues.pointer[o], count: positions)
                    }
                }
                guard let columns else {
                    ag_sgemm(false, false, Int64(outChannels), Int64(positions), Int64(rows),
                             kernels.pointer, Int64(rows), pixels, Int64(positions),
                             biasValues == nil ? 0 : 1, output, Int64(positions))
                    continue
                }
                for first in stride(from: 0, to: positions, by: block) {
                    let last = Swift.min(first + block, positions)
                    geometry.im2col(pixels, channels: c, height: h, width: w, positions: first..<last, into: columns)
                    ag_sgemm(false, false, Int64(outChannels), Int64(last - first), Int64(rows),
                             kernels.pointer, Int64(rows), columns, Int64(last - first),
                             biasValues == nil ? 0 : 1, output + first, Int64(positions))
                }
            }
        }
        return result
    }

    /// The gradients of ``convolution2d(_:_:bias:_:)`` given the output's gradient `grad`
    /// `[N, O, outH, outW]`: for each image, `dx[n] = col2im(Wᵀ·g[n])`,
    /// `dW = Σₙ g[n]·im2col(x[n])ᵀ` and `db = Σₙ,ₚ g[n, :, p]`. Only the requested ones
    /// are computed, a block of output positions at a time (as in the forward pass); the
    /// batch is split over the kernel threads, each keeping its own partial `dW` and `db`,
    /// added at the end.
    public static func convolution2dBackward(
        _ grad: NDArray, input: NDArray, weight: NDArray, geometry: ConvolutionGeometry,
        inputGradient: Bool, weightGradient: Bool, biasGradient: Bool
    ) -> (input: NDArray?, weight: NDArray?, bias: NDArray?) {
        let gradient = grad.contiguous(), source = input.contiguous(), kernels = weight.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = kernels.shape[0]
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let (rows, positions) = (c * geometry.kernel.0 * geometry.kernel.1, oh * ow)
        let pointwise = geometry.isPointwise
        let block = pointwise ? positions : geometry.columnBlock(rows: rows, positions: positions)
        let parts = Swift.min(Kernels.threadCount, n)
        let inputResult = inputGradient ? NDArray(zeros: source.shape) : nil
        // Per part: the partial dW [O, rows] and db [O], then two blocks of columns (the
        // unfolded input, and the input gradient before folding).
        let columnsSize = pointwise ? 0 : rows * block
        let partSize = outChannels * rows + outChannels + 2 * columnsSize
        let scratch = NDArray(zeros: [parts, partSize])
        parallelFor(parts) { part in
            let partialWeight = scratch.storage.base + part * partSize
            let partialBias = partialWeight + outChannels * rows
            let columns = partialBias + outChannels, gradientColumns = columns + columnsSize
            var accumulate = false
            for image in run(part, of: parts, in: n) {
                let g = gradient.pointer + image * outChannels * positions
                let pixels = source.pointer + image * c * h * w
                if biasGradient {
                    for o in 0..<outChannels { partialBias[o] += Float(ag_sum(g + o * positions, Int64(positions))) }
                }
                let target = inputResult.map { $0.storage.base + image * c * h * w }
                for first in stride(from: 0, to: positions, by: block) {
                    let count = Swift.min(first + block, positions) - first
                    if weightGradient {
                        // dW += g[:, block] · columnsᵀ
                        let unfolded: UnsafePointer<Float>
                        if pointwise {
                            unfolded = UnsafePointer(pixels)
                        } else {
                            geometry.im2col(pixels, channels: c, height: h, width: w, positions: first..<first + count, into: columns)
                            unfolded = UnsafePointer(columns)
                        }
                        ag_sgemm(false, true, Int64(outChannels), Int64(rows), Int64(count),
                                 g + first, Int64(positions), unfolded, Int64(pointwise ? positions : count),
                                 accumulate ? 1 : 0, partialWeight, Int64(rows))
                        accumulate = true
                    }
                    if let target {
                        // dx[:, block] = fold(Wᵀ · g[:, block])
                        ag_sgemm(true, false, Int64(rows), Int64(count), Int64(outChannels),
                                 kernels.pointer, Int64(rows), g + first, Int64(positions),
                                 0, pointwise ? target : gradientColumns, Int64(pointwise ? positions : count))
                        if !pointwise {
                            geometry.col2im(gradientColumns, channels: c, height: h, width: w, positions: first..<first + count, into: target)
                        }
                    }
                }
            }
        }
        func total(offset: Int, count: Int, shape: [Int]) -> NDArray {
            let sum = NDArray(zeros: shape)
            for part in 0..<parts {
                let partial = scratch.storage.base + part * partSize + offset
                for i in 0..<count { sum.storage.base[i] += partial[i] }
            }
            return sum
        }
        let weightResult = weightGradient ? total(offset: 0, count: outChannels * rows, shape: kernels.shape) : nil
        let biasResult = biasGradient ? total(offset: outChannels * rows, count: outChannels, shape: [outChannels]) : nil
        return (inputResult, weightResult, biasResult)
    }
}

extension ConvolutionGeometry {
    /// A 1×1 kernel with stride 1 and no padding: the columns are the image itself.
    var isPointwise: Bool {
        kernel == (1, 1) && stride == (1, 1) && padding == (0, 0)
    }

    /// Unfolds output positions `positions` of one image `[channels, height, width]` into
    /// `columns` `[channels * kh * kw, positions.count]`.
    func im2col(_ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                positions: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let (oh, ow) = outputSize(height: height, width: width)
        ag_im2col_range(image, Int64(channels), Int64(height), Int64(width),
                        Int64(kernel.0), Int64(kernel.1), Int64(stride.0), Int64(stride.1),
                        Int64(padding.0), Int64(padding.1), Int64(dilation.0), Int64(dilation.1),
                        Int64(oh), Int64(ow), Int64(positions.lowerBound), Int64(positions.upperBound), columns)
    }

    /// Adds the `columns` of output positions `positions` back into `image` (the adjoint
    /// of ``im2col(_:channels:height:width:positions:into:)``).
    func col2im(_ columns: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                positions: Range<Int>, into image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = outputSize(height: height, width: width)
        ag_col2im_range(columns, Int64(channels), Int64(height), Int64(width),
                        Int64(kernel.0), Int64(kernel.1), Int64(stride.0), Int64(stride.1),
                        Int64(padding.0), Int64(padding.1), Int64(dilation.0), Int64(dilation.1),
                        Int64(oh), Int64(ow), Int64(positions.lowerBound), Int64(positions.upperBound), image)
    }
}
