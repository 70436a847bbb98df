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

    /// The output height and width for an input of `height` x `width`, with PyTorch's
    /// formula `⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1` (rounded
    /// down, so a kernel that does not fit gives 0 or less, never 1). See
    /// ``checkedOutputSize(height:width:op:)`` for the checked form.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        func size(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int {
            let span = input + 2 * padding - dilation * (kernel - 1) - 1
            let quotient = span / stride
            return (span % stride != 0 && span < 0 ? quotient - 1 : quotient) + 1
        }
        return (size(height, kernel.0, stride.0, padding.0, dilation.0),
                size(width, kernel.1, stride.1, padding.1, dilation.1))
    }

    /// The output height and width for an input of `height` x `width`, after checking that
    /// the kernel, stride and dilation are positive, the padding is not negative, and at
    /// least one window fits (PyTorch's "Output size is too small").
    public func checkedOutputSize(height: Int, width: Int, op: String) throws(ShapeError) -> (Int, Int) {
        guard kernel.0 > 0, kernel.1 > 0 else {
            throw .invalidWindowSetting(op: op, setting: .kernelSize, value: [kernel.0, kernel.1])
        }
        guard stride.0 > 0, stride.1 > 0 else {
            throw .invalidWindowSetting(op: op, setting: .stride, value: [stride.0, stride.1])
        }
        guard dilation.0 > 0, dilation.1 > 0 else {
            throw .invalidWindowSetting(op: op, setting: .dilation, value: [dilation.0, dilation.1])
        }
        guard padding.0 >= 0, padding.1 >= 0 else {
            throw .invalidWindowSetting(op: op, setting: .padding, value: [padding.0, padding.1])
        }
        guard height >= 0, width >= 0 else {
            throw .negativeInputSize(op: op, height: height, width: width)
        }
        let (h, w) = outputSize(height: height, width: width)
        guard h > 0, w > 0 else {
            throw .outputTooSmall(op: op, input: [height, width], output: [h, w])
        }
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
        checkUsage(rank == 4, "unfold: expected a 4-D input [N, C, H, W], got \(shape)")
        checkFloat32Kernel("unfold")
        let source = contiguous()
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = trapOnShapeError { () throws(ShapeError) in try geometry.checkedOutputSize(height: h, width: w, op: "unfold") }
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
        checkFloat32Kernel("fold")
        let source = contiguous()
        let (n, c, h, w) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let rows = c * geometry.kernel.0 * geometry.kernel.1
        checkUsage(shape == [n, rows, oh * ow], "fold: expected columns of shape \([n, rows, oh * ow]), got \(shape)")
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
func partRange(_ part: Int, of parts: Int, in count: Int) -> Range<Int> {
    (count * part / parts)..<(count * (part + 1) / parts)
}

/// How a convolution walks its unfolded input: a block of columns is either a run of one
/// image's output positions or, when two whole images unfold to at most 128 KB, several
/// whole images side by side (image `k` of the group in columns
/// `k·positions ..< (k+1)·positions`), so that tiny images still make GEMMs of a useful
/// size. (Groups of 512 KB measured slower on LeNet's layers: the columns and the GEMM's
/// packed copy of them no longer share the L2.)
struct ColumnBlocking {
    /// Images unfolded together (1 unless whole images are small).
    let images: Int
    /// Output positions per block of one image (all of them when `images > 1`).
    let positions: Int

    /// The widest block, in columns.
    var width: Int { images * positions }

    /// The blocking for columns of `rows` rows and images of `positions` output positions:
    /// blocks of about 512 KB (`rows` x block floats), the L2 size here. Smaller blocks
    /// repack the kernels more often, larger ones stream the columns from L3; 512 KB
    /// measured best for the 32→64 3×3 benchmark layer on Zen 3. A 1×1 kernel with stride 1
    /// and no padding (`pointwise`) reads the image itself: one image at a time, whole.
    init(rows: Int, positions: Int, pointwise: Bool) {
        let block = Self.blockColumns(rows: rows)
        let groupColumns = (1 << 15) / Swift.max(rows, 1)
        if pointwise {
            (images, self.positions) = (1, positions)
        } else if groupColumns >= 2 * positions {
            (images, self.positions) = (groupColumns / positions, positions)
        } else {
            (images, self.positions) = (1, Swift.min(positions, block))
        }
    }

    /// The columns of a block of about 512 KB (`rows` x block floats), a multiple of 16 and
    /// at least 64.
    static func blockColumns(rows: Int) -> Int {
        Swift.max(64, (1 << 17) / Swift.max(rows, 1) / 16 * 16)
    }

    /// Calls `body` with each block over images `batch`: its images and its output positions.
    func forEachBlock(over batch: Range<Int>, total positionCount: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        if images > 1 {
            for first in stride(from: batch.lowerBound, to: batch.upperBound, by: images) {
                body(first..<Swift.min(first + images, batch.upperBound), 0..<positionCount)
            }
            return
        }
        for image in batch {
            for first in stride(from: 0, to: positionCount, by: positions) {
                body(image..<image + 1, first..<Swift.min(first + positions, positionCount))
            }
        }
    }
}

extension NDArray {
    /// A 2-D convolution (cross-correlation) of images `[N, C, H, W]` with kernels
    /// `[O, C, kh, kw]`, plus `bias` `[O]`: `out[n] = W·im2col(x[n]) + b`, giving
    /// `[N, O, outH, outW]`.
    ///
    /// Stride-1 3×3 kernels with at least 16 channels on each side run by Winograd's
    /// F(2×2, 3×3) (``winogradConvolution2d(_:_:bias:_:)``, see
    /// NDArray+WinogradConvolution.swift); other kernels with few input channels and taps, or
    /// over small images, directly from the image (``directConvolution2d(_:_:bias:_:)``, see
    /// NDArray+DirectConvolution.swift); on the AVX-512 path, other stride-1 kernels over
    /// larger images as an implicit GEMM that packs straight from the padded image
    /// (``implicitConvolution2d(_:_:bias:_:)``, see NDArray+ImplicitConvolution.swift); the
    /// rest by im2col + GEMM
    /// (``columnConvolution2d(_:_:bias:_:)``). Shapes are checked by the caller.
    public static func convolution2d(
        _ input: NDArray, _ weight: NDArray, bias: NDArray?, _ geometry: ConvolutionGeometry
    ) -> NDArray {
        input.checkFloat32Kernel("conv2d")
        weight.checkFloat32Kernel("conv2d")
        let (oh, ow) = geometry.outputSize(height: input.shape[2], width: input.shape[3])
        let rows = weight.shape[1] * geometry.kernel.0 * geometry.kernel.1
        if geometry.usesWinograd(channels: weight.shape[1], outChannels: weight.shape[0]) {
            return winogradConvolution2d(input, weight, bias: bias, geometry)
        }
        if geometry.usesDirectForward(rows: rows, positions: oh * ow) {
            return directConvolution2d(input, weight, bias: bias, geometry)
        }
        if geometry.usesImplicitGEMM(rows: rows, positions: oh * ow) {
            return implicitConvolution2d(input, weight, bias: bias, geometry)
        }
        return columnConvolution2d(input, weight, bias: bias, geometry)
    }

    /// ``convolution2d(_:_:bias:_:)`` by im2col + GEMM.
    ///
    /// The input is unfolded a block of columns at a time (see ``ColumnBlocking``) into a
    /// small scratch buffer that stays in cache while the GEMM multiplies it; a block of one
    /// image goes straight into the output (which holds the bias beforehand), a block of
    /// several images into scratch rows copied out with the bias. The batch is split over
    /// the kernel threads. A 1×1 kernel with stride 1 and no padding skips the unfold.
    static func columnConvolution2d(
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
        let blocking = ColumnBlocking(rows: rows, positions: positions, pointwise: pointwise)
        let parts = Swift.min(Kernels.threadCount, n)
        // Per part: a block of columns, then (for groups of images) the block's products.
        let columnsSize = pointwise ? 0 : rows * blocking.width
        let partSize = columnsSize + (blocking.images > 1 ? outChannels * blocking.width : 0)
        let scratch = NDArray(uninitialized: [parts, Swift.max(partSize, 1)])
        parallelFor(parts) { part in
            let columns = scratch.storage.base + part * partSize, products = columns + columnsSize
            blocking.forEachBlock(over: partRange(part, of: parts, in: n), total: positions) { images, span in
                let width = images.count * span.count
                guard images.count == 1 else {
                    for (k, image) in images.enumerated() {
                        geometry.im2col(source.pointer + image * c * h * w, channels: c, height: h, width: w,
                                        positions: span, into: columns + k * span.count, rowStride: width)
                    }
                    ag_sgemm(false, false, Int64(outChannels), Int64(width), Int64(rows),
                             kernels.pointer, Int64(rows), columns, Int64(width), 0, products, Int64(width))
                    for (k, image) in images.enumerated() {
                        for o in 0..<outChannels {
                            let target = result.storage.base + (image * outChannels + o) * positions
                            let row = products + o * width + k * positions
                            if let biasValues {
                                let b = biasValues.pointer[o]
                                for p in 0..<positions { target[p] = row[p] + b }
                            } else {
                                target.update(from: row, count: positions)
                            }
                        }
                    }
                    return
                }
                let image = images.lowerBound
                let output = result.storage.base + image * outChannels * positions
                let pixels = source.pointer + image * c * h * w
                if let biasValues, span.lowerBound == 0 {
                    for o in 0..<outChannels {
                        (output + o * positions).update(repeating: biasValues.pointer[o], count: positions)
                    }
                }
                if !pointwise {
                    geometry.im2col(pixels, channels: c, height: h, width: w, positions: span, into: columns, rowStride: width)
                }
                ag_sgemm(false, false, Int64(outChannels), Int64(width), Int64(rows),
                         kernels.pointer, Int64(rows), pointwise ? pixels : columns, Int64(pointwise ? positions : width),
                         biasValues == nil ? 0 : 1, output + span.lowerBound, Int64(positions))
            }
        }
        return result
    }

    /// The gradients of ``convolution2d(_:_:bias:_:)`` given the output's gradient `grad`
    /// `[N, O, outH, outW]`: `dx`, `dW` and `db`, only the requested ones. Both run by
    /// Winograd's F(2×2, 3×3) where ``ConvolutionGeometry/usesWinograd(channels:outChannels:)``
    /// holds, else each directly where the rules of NDArray+DirectConvolution.swift say so,
    /// the rest by ``columnConvolution2dBackward(_:input:weight:geometry:inputGradient:weightGradient:biasGradient:)``.
    public static func convolution2dBackward(
        _ grad: NDArray, input: NDArray, weight: NDArray, geometry: ConvolutionGeometry,
        inputGradient: Bool, weightGradient: Bool, biasGradient: Bool
    ) -> (input: NDArray?, weight: NDArray?, bias: NDArray?) {
        let grad = grad.contiguous()   // once, for whichever kernels run below
        let (outChannels, c) = (weight.shape[0], weight.shape[1])
        let (oh, ow) = geometry.outputSize(height: input.shape[2], width: input.shape[3])
        let (rows, positions) = (c * geometry.kernel.0 * geometry.kernel.1, oh * ow)
        let winograd = geometry.usesWinograd(channels: c, outChannels: outChannels)
        let winogradInput = inputGradient && winograd, winogradWeight = weightGradient && winograd
        let directInput = inputGradient && !winograd
            && geometry.usesDirectInputGradient(rows: rows, positions: positions, outChannels: outChannels)
        let directWeight = weightGradient && !winograd
            && geometry.usesDirectWeightGradient(rows: rows, positions: positions)
        let columnInput = inputGradient && !winograd && !directInput
        let columnWeight = weightGradient && !winograd && !directWeight
        var result: (input: NDArray?, weight: NDArray?, bias: NDArray?) = (nil, nil, nil)
        if columnInput || columnWeight {
            result = columnConvolution2dBackward(
                grad, input: input, weight: weight, geometry: geometry, inputGradient: columnInput,
                weightGradient: columnWeight, biasGradient: biasGradient)
        } else if biasGradient {
            result.bias = convolutionBiasGradient(grad)
        }
        if winogradInput {
            result.input = winogradConvolution2dInputGradient(grad, weight: weight, geometry: geometry)
        }
        if winogradWeight {
            result.weight = winogradConvolution2dWeightGradient(grad, input: input, geometry: geometry)
        }
        if directInput {
            result.input = directConvolution2dInputGradient(grad, weight: weight, inputShape: input.shape, geometry: geometry)
        }
        if directWeight {
            result.weight = directConvolution2dWeightGradient(grad, input: input, weightShape: weight.shape, geometry: geometry)
        }
        return result
    }

    /// The bias gradient `[O]` of a convolution: the output gradient `[N, O, outH, outW]`
    /// summed over images and positions.
    static func convolutionBiasGradient(_ grad: NDArray) -> NDArray {
        let gradient = grad.contiguous()
        let (n, outChannels) = (gradient.shape[0], gradient.shape[1])
        let positions = gradient.shape[2] * gradient.shape[3]
        var sums = [Double](repeating: 0, count: outChannels)
        for image in 0..<n {
            let g = gradient.pointer + image * outChannels * positions
            for o in 0..<outChannels { sums[o] += ag_sum(g + o * positions, Int64(positions)) }
        }
        let result = NDArray(uninitialized: [outChannels])
        for o in 0..<outChannels { result.storage.base[o] = Float(sums[o]) }
        return result
    }

    /// ``convolution2dBackward(_:input:weight:geometry:inputGradient:weightGradient:biasGradient:)``
    /// by im2col + GEMM: for each image, `dx[n] = col2im(Wᵀ·g[n])`,
    /// `dW = (Σₙ im2col(x[n])·g[n]ᵀ)ᵀ` and `db = Σₙ,ₚ g[n, :, p]`. Only the requested ones
    /// are computed, a block of columns at a time (as in the forward pass; the gradient of
    /// a group of images is first gathered side by side); the batch is split over the
    /// kernel threads, each keeping its own partial `dW` and `db`, added at the end.
    static func columnConvolution2dBackward(
        _ grad: NDArray, input: NDArray, weight: NDArray, geometry: ConvolutionGeometry,
        inputGradient: Bool, weightGradient: Bool, biasGradient: Bool
    ) -> (input: NDArray?, weight: NDArray?, bias: NDArray?) {
        let gradient = grad.contiguous(), source = input.contiguous(), kernels = weight.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = kernels.shape[0]
        let (oh, ow) = geometry.outputSize(height: h, width: w)
        let (rows, positions) = (c * geometry.kernel.0 * geometry.kernel.1, oh * ow)
        let pointwise = geometry.isPointwise
        let blocking = ColumnBlocking(rows: rows, positions: positions, pointwise: pointwise)
        let parts = Swift.min(Kernels.threadCount, n)
        let inputResult = inputGradient ? NDArray(zeros: source.shape) : nil
        // Wᵀ [rows, O], made contiguous once: the GEMM then reads its rows in place instead of
        // packing the transposed kernels again for every block.
        let transposedKernels = inputGradient
            ? trapOnShapeError { () throws(ShapeError) in
                try kernels.reshaped([outChannels, rows]).transposed(0, 1).contiguous()
            }
            : nil
        // Per part: the partial dWᵀ [rows, O] and db [O], two blocks of columns (the
        // unfolded input, and the input gradient before folding), and for groups of images
        // their output gradient side by side.
        let columnsSize = pointwise ? 0 : rows * blocking.width
        let gatheredSize = blocking.images > 1 ? outChannels * blocking.width : 0
        let partSize = outChannels * rows + outChannels + 2 * columnsSize + gatheredSize
        // Uninitialized but for the partial db: each part has at least one image, and the
        // first block's GEMM overwrites the partial dWᵀ.
        let scratch = NDArray(uninitialized: [parts, partSize])
        parallelFor(parts) { part in
            let partialWeight = scratch.storage.base + part * partSize
            let partialBias = partialWeight + outChannels * rows
            partialBias.update(repeating: 0, count: outChannels)
            let columns = partialBias + outChannels, gradientColumns = columns + columnsSize
            let gathered = gradientColumns + columnsSize
            var accumulate = false
            let batch = partRange(part, of: parts, in: n)
            if biasGradient {
                for image in batch {
                    let g = gradient.pointer + image * outChannels * positions
                    for o in 0..<outChannels { partialBias[o] += Float(ag_sum(g + o * positions, Int64(positions))) }
                }
            }
            blocking.forEachBlock(over: batch, total: positions) { images, span in
                let width = images.count * span.count
                // The block's output gradient [O, width], with its row stride.
                let g: UnsafePointer<Float>, gStride: Int
                if images.count == 1 {
                    g = UnsafePointer(gradient.pointer + images.lowerBound * outChannels * positions + span.lowerBound)
                    gStride = positions
                } else {
                    for (k, image) in images.enumerated() {
                        for o in 0..<outChannels {
                            (gathered + o * width + k * positions)
                                .update(from: gradient.pointer + (image * outChannels + o) * positions, count: positions)
                        }
                    }
                    (g, gStride) = (UnsafePointer(gathered), width)
                }
                if weightGradient {
                    // dWᵀ += columns · gᵀ: the columns are read in place and only the block's
                    // much smaller output gradient is transposed for the GEMM (dW += g · columnsᵀ
                    // would transpose the columns).
                    let unfolded: UnsafePointer<Float>
                    if pointwise {
                        unfolded = UnsafePointer(source.pointer + images.lowerBound * c * h * w)
                    } else {
                        for (k, image) in images.enumerated() {
                            geometry.im2col(source.pointer + image * c * h * w, channels: c, height: h, width: w,
                                            positions: span, into: columns + k * span.count, rowStride: width)
                        }
                        unfolded = UnsafePointer(columns)
                    }
                    ag_sgemm(false, true, Int64(rows), Int64(outChannels), Int64(width),
                             unfolded, Int64(pointwise ? positions : width), g, Int64(gStride),
                             accumulate ? 1 : 0, partialWeight, Int64(outChannels))
                    accumulate = true
                }
                if let inputResult {
                    // dx[block] = fold(Wᵀ · g)
                    let target = inputResult.storage.base + images.lowerBound * c * h * w
                    ag_sgemm(false, false, Int64(rows), Int64(width), Int64(outChannels),
                             transposedKernels!.pointer, Int64(outChannels), g, Int64(gStride),
                             0, pointwise ? target : gradientColumns, Int64(pointwise ? positions : width))
                    if !pointwise {
                        for (k, image) in images.enumerated() {
                            geometry.col2im(gradientColumns + k * span.count, channels: c, height: h, width: w,
                                            positions: span, rowStride: width,
                                            into: inputResult.storage.base + image * c * h * w)
                        }
                    }
                }
            }
        }
        /// The parts' partial sums of `count` floats at `offset` added up; `transposedRows`
        /// partial sums are [transposedRows, count / transposedRows] and are transposed.
        func total(offset: Int, count: Int, shape: [Int], transposedRows: Int = 1) -> NDArray {
            let sum = NDArray(zeros: shape)
            let columns = count / transposedRows
            for part in 0..<parts {
                let partial = scratch.storage.base + part * partSize + offset
                for r in 0..<transposedRows {
                    for q in 0..<columns { sum.storage.base[q * transposedRows + r] += partial[r * columns + q] }
                }
            }
            return sum
        }
        let weightResult = weightGradient
            ? total(offset: 0, count: outChannels * rows, shape: kernels.shape, transposedRows: rows) : nil
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
    /// `columns` `[channels * kh * kw, positions.count]` whose rows are `rowStride` floats
    /// apart (`positions.count` when nil).
    func im2col(_ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                positions: Range<Int>, into columns: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let (oh, ow) = outputSize(height: height, width: width)
        ag_im2col_range(image, Int64(channels), Int64(height), Int64(width),
                        Int64(kernel.0), Int64(kernel.1), Int64(stride.0), Int64(stride.1),
                        Int64(padding.0), Int64(padding.1), Int64(dilation.0), Int64(dilation.1),
                        Int64(oh), Int64(ow), Int64(positions.lowerBound), Int64(positions.upperBound),
                        columns, Int64(rowStride ?? positions.count))
    }

    /// Adds the `columns` (rows `rowStride` floats apart, `positions.count` when nil) of
    /// output positions `positions` back into `image` (the adjoint of
    /// ``im2col(_:channels:height:width:positions:into:rowStride:)``).
    func col2im(_ columns: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                positions: Range<Int>, rowStride: Int? = nil, into image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = outputSize(height: height, width: width)
        ag_col2im_range(columns, Int64(channels), Int64(height), Int64(width),
                        Int64(kernel.0), Int64(kernel.1), Int64(stride.0), Int64(stride.1),
                        Int64(padding.0), Int64(padding.1), Int64(dilation.0), Int64(dilation.1),
                        Int64(oh), Int64(ow), Int64(positions.lowerBound), Int64(positions.upperBound),
                        Int64(rowStride ?? positions.count), image)
    }
}

extension NDArray {
    /// Stops with PyTorch's message for an op whose kernels exist in float32 only
    /// (convolution and pooling); convert with `to(.float32)` first.
    func checkFloat32Kernel(_ op: String) {
        checkUsage(dtype == .float32, "\(op): \"\(op)\" not implemented for '\(dtype.scalarTypeName)' (its kernels are float32 only; convert with to(.float32))")
    }
}
