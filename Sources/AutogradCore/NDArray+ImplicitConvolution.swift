import CAutogradKernels

// Stride-1 convolution as an implicit GEMM: the image is zero-padded once, and the rows of
// the GEMM's right operand (one per input channel and kernel tap) are windows of the padded
// image at fixed offsets, which the GEMM's packing reads through a table
// (`ag_sgemm_offset_rows`). Nothing is unfolded: im2col wrote and read kh·kw copies of the
// image per pass. Output positions are computed on the padded image's grid (output row y at
// columns y·paddedWidth ..< y·paddedWidth + outWidth of a block) and copied out without the
// positions between rows.
//
// Only the forward pass runs this way. The input gradient of a stride-1 convolution is a
// correlation too (of the output gradient, padded by (k − 1)·d − p, with the kernels
// flipped and their channel axes swapped), but as an implicit GEMM it made conv_fwd_bwd
// (32→64, 56×56) 4% slower than GEMM + col2im (2-core Xeon, AVX-512, 10 alternating runs):
// its GEMM has only C = 32 rows, so each packed window feeds three tiles instead of 24.
// The gradients unfold (NDArray+Convolution.swift).

/// One stride-1 correlation over zero-padded images, run as an implicit GEMM:
/// `out[m, y, x] = Σ_{c, i, j} A[m, (c, i, j)] · image[c, y + i·dh − padTop, x + j·dw − padLeft]`
/// (out of range reads as zero), for an `A` of `depth` = channels·kh·kw columns.
struct ImplicitConvolutionPlan {
    /// Channels of the image.
    let channels: Int
    /// The image's height and width.
    let height: Int, width: Int
    /// Zeros on each side: top and bottom, left and right.
    let padding: (Int, Int)
    /// The padded image's height and width.
    let paddedHeight: Int, paddedWidth: Int
    /// The output's height and width.
    let outHeight: Int, outWidth: Int
    /// Per GEMM row (channel, tap): where its window starts in the padded image.
    let rowOffsets: [Int64]
    /// Output rows per GEMM.
    let blockRows: Int

    /// A plan for images `[channels, height, width]`; the kernel must fit the padded image.
    init(channels: Int, height: Int, width: Int, kernel: (Int, Int), padding: (Int, Int), dilation: (Int, Int)) {
        self.channels = channels
        (self.height, self.width, self.padding) = (height, width, padding)
        (paddedHeight, paddedWidth) = (height + 2 * padding.0, width + 2 * padding.1)
        (outHeight, outWidth) = (paddedHeight - dilation.0 * (kernel.0 - 1), paddedWidth - dilation.1 * (kernel.1 - 1))
        var offsets = [Int64]()
        offsets.reserveCapacity(channels * kernel.0 * kernel.1)
        for c in 0..<channels {
            for i in 0..<kernel.0 {
                for j in 0..<kernel.1 {
                    offsets.append(Int64((c * paddedHeight + i * dilation.0) * paddedWidth + j * dilation.1))
                }
            }
        }
        rowOffsets = offsets
        // Blocks of at most about 512 KB of packed windows, as ColumnBlocking's blocks of
        // columns, and of a whole number of 32-column slivers where a block of at least half
        // that height has one (the widest sliver of any kernel path: a part sliver is
        // computed aside and copied).
        let columns = ColumnBlocking.blockColumns(rows: offsets.count)
        let widest = Swift.min(outHeight, Swift.max(1, columns / paddedWidth))
        let (rowStride, lastRowWidth) = (paddedWidth, outWidth)
        blockRows = stride(from: widest, through: (widest + 1) / 2, by: -1)
            .first { (($0 - 1) * rowStride + lastRowWidth) % 32 == 0 } ?? widest
    }

    /// Floats in one padded image.
    var paddedCount: Int { channels * paddedHeight * paddedWidth }

    /// GEMM columns of the widest block.
    var blockColumns: Int { (blockRows - 1) * paddedWidth + outWidth }

    /// Copies `image` `[channels, height, width]` into `padded` (`paddedCount` floats) with
    /// zero borders.
    func pad(_ image: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let plane = padded + c * paddedHeight * paddedWidth
            plane.update(repeating: 0, count: padding.0 * paddedWidth)
            for y in 0..<height {
                let row = plane + (padding.0 + y) * paddedWidth
                row.update(repeating: 0, count: padding.1)
                (row + padding.1).update(from: image + (c * height + y) * width, count: width)
                (row + padding.1 + width).update(repeating: 0, count: padding.1)
            }
            (plane + (padding.0 + height) * paddedWidth).update(repeating: 0, count: padding.0 * paddedWidth)
        }
    }

    /// `output[m, y, x]` (`rows` planes of outHeight·outWidth) = `a` (`rows` x
    /// `rowOffsets.count`, row-major) times the windows of `padded`, plus `bias[m]` when
    /// given; a block of output rows per GEMM, through `scratch` (`rows` x `blockColumns`).
    func multiply(_ a: UnsafePointer<Float>, rows: Int, padded: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                  scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let depth = rowOffsets.count
        rowOffsets.withUnsafeBufferPointer { offsets in
            for firstRow in stride(from: 0, to: outHeight, by: blockRows) {
                let blockHeight = Swift.min(blockRows, outHeight - firstRow)
                let columns = (blockHeight - 1) * paddedWidth + outWidth
                ag_sgemm_offset_rows(Int64(rows), Int64(columns), Int64(depth), a, Int64(depth),
                                     padded + firstRow * paddedWidth, offsets.baseAddress, 0, scratch, Int64(columns))
                for m in 0..<rows {
                    let plane = output + (m * outHeight + firstRow) * outWidth
                    for y in 0..<blockHeight {
                        let source = scratch + m * columns + y * paddedWidth, target = plane + y * outWidth
                        if let bias {
                            let b = bias[m]
                            for x in 0..<outWidth { target[x] = source[x] + b }
                        } else {
                            target.update(from: source, count: outWidth)
                        }
                    }
                }
            }
        }
    }

    /// Runs the plan over a batch: `output[n]` = `a` (`rows` x depth) times the windows of
    /// `images[n]`, plus `bias`. Each image is a task of its own on the kernel threads, which
    /// take them in turn (a thread slowed down does fewer), with a scratch buffer of its own
    /// (from the buffer cache, so the next task reuses it).
    func run(batch: Int, images: UnsafePointer<Float>, _ a: UnsafePointer<Float>, rows: Int,
             bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>) {
        let imageSize = channels * height * width, outputSize = rows * outHeight * outWidth
        parallelFor(batch) { image in
            let scratch = NDArray(uninitialized: [paddedCount + rows * blockColumns])
            let padded = scratch.storage.base
            pad(images + image * imageSize, into: padded)
            multiply(a, rows: rows, padded: padded, bias: bias, scratch: padded + paddedCount,
                     into: output + image * outputSize)
        }
    }
}

extension ConvolutionGeometry {
    /// Whether the forward pass can run as an implicit GEMM: stride 1, a kernel larger than
    /// 1×1 or padded (a pointwise one reads the image as it is), and images large enough
    /// that im2col would unfold one image at a time (`ColumnBlocking`): small images unfold
    /// several at a time into one larger GEMM.
    func suitsImplicitGEMM(rows: Int, positions: Int) -> Bool {
        stride == (1, 1) && !isPointwise
            && ColumnBlocking(rows: rows, positions: positions, pointwise: false).images == 1
    }

    /// Whether the forward pass runs as an implicit GEMM: where it suits
    /// (``suitsImplicitGEMM(rows:positions:)``) and on the AVX-512 path, where it measured
    /// faster than im2col + GEMM (conv_fwd_bwd 1.05× on one thread and 1.06× on two, 10
    /// alternating runs each, on a Xeon with 2 MB of L2 per core; that layer, 3×3 from 32
    /// to 64 channels, now runs by Winograd's F(2×2, 3×3) first, see
    /// ``usesWinograd(channels:outChannels:)``). On an AMD Zen 3 with 512 KB
    /// of L2 per core and AVX2, an implicit GEMM of an earlier design measured 0.93-0.96× with
    /// two threads, and on the AVX2 path of a Zen 1 this one measured 0.97× (10 interleaved
    /// rounds), so the other paths keep unfolding.
    func usesImplicitGEMM(rows: Int, positions: Int) -> Bool {
        Kernels.path == .avx512 && suitsImplicitGEMM(rows: rows, positions: positions)
    }
}

extension NDArray {
    /// ``convolution2d(_:_:bias:_:)`` as an implicit GEMM (stride 1): `[N, C, H, W]` images,
    /// `[O, C, kh, kw]` kernels, optional `[O]` bias.
    static func implicitConvolution2d(
        _ input: NDArray, _ weight: NDArray, bias: NDArray?, _ geometry: ConvolutionGeometry
    ) -> NDArray {
        let source = input.contiguous(), kernels = weight.contiguous(), biasValues = bias?.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = kernels.shape[0]
        let plan = ImplicitConvolutionPlan(channels: c, height: h, width: w, kernel: geometry.kernel,
                                           padding: geometry.padding, dilation: geometry.dilation)
        let result = NDArray(uninitialized: [n, outChannels, plan.outHeight, plan.outWidth])
        plan.run(batch: n, images: source.pointer, kernels.pointer, rows: outChannels, bias: biasValues?.pointer,
                 into: result.storage.base)
        return result
    }
}
