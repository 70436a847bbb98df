import CAutogradKernels

// Stride-1 3×3 convolutions by Winograd's F(2×2, 3×3) (transforms in conv_winograd.c): the
// kernels are transformed once per call into 16 matrices U_ξ [rows, depth]; the batch's 2×2
// output tiles are taken a block at a time, each block's input patches transformed into 16
// matrices V_ξ [depth, tiles], multiplied (16 GEMMs, 2.25× fewer multiply-adds than im2col +
// GEMM) and transformed back into the output. The input gradient of such a convolution is one
// too: the output gradient, padded by 2 − padding, correlated with the kernels flipped and
// their channel axes swapped. The weight gradient sums, for each of the 16 positions, the
// transformed output gradient [O, tiles] times the transformed input transposed [tiles, C]
// over the blocks of tiles, and transforms the sums back into [O, C, 3, 3] kernels.

/// How a Winograd F(2×2, 3×3) correlation walks its tiles.
struct WinogradTiling {
    /// The output's height and width.
    let outHeight: Int, outWidth: Int
    /// Tiles per image: rows and columns (the last of each may hang over an odd-sized output).
    let tileRows: Int, tileColumns: Int
    /// Tiles per block (see ``blockTiles(tileColumns:tiles:bytesPerTile:sliverColumns:threads:)``).
    let blockTiles: Int

    /// The bytes a block's transformed input and products (16 planes of depth + rows floats
    /// per tile) should take: about 1.5 MB. Larger blocks make larger GEMMs, over which the
    /// packing of the transformed kernels and the calls' set-up spread; each GEMM reads only
    /// a sixteenth of the block. Measured on the benchmark's 32 → 64 layer over 56 × 56 images
    /// (Zen 5, one thread, medians of 7-11 runs): blocks of 80 tiles 173 GFLOP/s, 196-336
    /// tiles 220-254, 448-896 205-236.
    static let blockBytes = 3 << 19

    /// The tiling of a correlation of `depth` input channels into `rows` output channels over
    /// `images` images of `height` x `width` with `padding` on each side, with blocks of
    /// `blockTiles` tiles (by default the rule below, for the current kernel path and threads).
    init(height: Int, width: Int, padding: (Int, Int), depth: Int, rows: Int, images: Int, blockTiles: Int? = nil) {
        (outHeight, outWidth) = (height + 2 * padding.0 - 2, width + 2 * padding.1 - 2)
        (tileRows, tileColumns) = ((outHeight + 1) / 2, (outWidth + 1) / 2)
        self.blockTiles = blockTiles ?? Self.blockTiles(
            tileColumns: tileColumns, tiles: images * tileRows * tileColumns,
            bytesPerTile: 16 * (depth + rows) * MemoryLayout<Float>.size,
            sliverColumns: Int(ag_sgemm_sliver_columns()), threads: Kernels.threadCount)
    }

    /// Tiles per block: about ``blockBytes`` of transformed data, and at least two blocks per
    /// thread when the batch has the tiles; then, in this order of preference, a multiple of
    /// both the tile row and the GEMM's sliver (no run of tiles cut short, which the tile
    /// transforms take one tile at a time, and no padded sliver), whole tile rows, or a
    /// multiple of the sliver and of 16 (the widest vector of tiles). For the benchmark's
    /// layer (28 tiles a row, 6 KB a tile): 224 tiles on the AVX2 and AVX-512 paths.
    static func blockTiles(tileColumns: Int, tiles: Int, bytesPerTile: Int, sliverColumns: Int, threads: Int) -> Int {
        let perThread = (tiles + 2 * Swift.max(threads, 1) - 1) / (2 * Swift.max(threads, 1))
        let goal = Swift.max(16, Swift.min(blockBytes / bytesPerTile, perThread))
        func nearestMultiple(of step: Int) -> Int { Swift.max(1, (goal + step / 2) / step) * step }
        let sliver = Swift.max(16, sliverColumns)
        let rowsAndSlivers = tileColumns / greatestCommonDivisor(tileColumns, sliver) * sliver
        if rowsAndSlivers <= 2 * goal { return nearestMultiple(of: rowsAndSlivers) }
        if tileColumns <= goal { return nearestMultiple(of: tileColumns) }
        return nearestMultiple(of: sliver)
    }

    /// The greatest common divisor of two positive numbers.
    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int { b == 0 ? a : greatestCommonDivisor(b, a % b) }

    /// Tiles in `images` images.
    func tiles(images: Int) -> Int { images * tileRows * tileColumns }

    /// Blocks over `tiles` tiles, the last one possibly shorter.
    func blocks(tiles: Int) -> Int { (tiles + blockTiles - 1) / blockTiles }

    /// The floats one of a block's 16 planes takes in scratch: `rows` x `tiles`, then a cache
    /// line (16 floats) before the next plane, so that planes are never a multiple of 4 KB
    /// apart (see conv_winograd.c).
    static func planeFloats(rows: Int, tiles: Int) -> Int { rows * tiles + 16 }
}

extension ConvolutionGeometry {
    /// Whether a convolution of this geometry from `channels` to `outChannels` runs by
    /// Winograd's F(2×2, 3×3), forward and for both gradients: a 3×3 kernel with stride 1,
    /// no dilation and at most 2 of padding (so the input gradient's padding, 2 − padding, is
    /// not negative), with at least 16 channels on each side, so that the 16 products per
    /// block are GEMMs of a useful size (fewer channels run directly or by im2col + GEMM).
    /// Asked before the direct kernels' rules: over small images too it measured faster.
    func usesWinograd(channels: Int, outChannels: Int) -> Bool {
        kernel == (3, 3) && stride == (1, 1) && dilation == (1, 1)
            && (0...2).contains(padding.0) && (0...2).contains(padding.1)
            && channels >= 16 && outChannels >= 16
    }
}

extension NDArray {
    /// ``convolution2d(_:_:bias:_:)`` by Winograd's F(2×2, 3×3), for a geometry where
    /// ``ConvolutionGeometry/usesWinograd(channels:outChannels:)`` holds; `blockTiles`
    /// replaces the block size ``WinogradTiling`` would choose (tests).
    static func winogradConvolution2d(
        _ input: NDArray, _ weight: NDArray, bias: NDArray?, _ geometry: ConvolutionGeometry, blockTiles: Int? = nil
    ) -> NDArray {
        winogradCorrelation(input, weight, flipTransposed: false, bias: bias, padding: geometry.padding,
                            blockTiles: blockTiles)
    }

    /// The input gradient `[N, C, H, W]` of a convolution with kernels `weight` `[O, C, 3, 3]`
    /// and `geometry` (where Winograd applies) from the output gradient `grad`
    /// `[N, O, outH, outW]`: `grad` padded by 2 − padding, correlated with the kernels flipped
    /// and their channel axes swapped. `blockTiles` as in ``winogradConvolution2d(_:_:bias:_:blockTiles:)``.
    static func winogradConvolution2dInputGradient(
        _ grad: NDArray, weight: NDArray, geometry: ConvolutionGeometry, blockTiles: Int? = nil
    ) -> NDArray {
        winogradCorrelation(grad, weight, flipTransposed: true, bias: nil,
                            padding: (2 - geometry.padding.0, 2 - geometry.padding.1), blockTiles: blockTiles)
    }

    /// The weight gradient `[O, C, 3, 3]` of a convolution of `input` `[N, C, H, W]` with
    /// `geometry` (where Winograd applies) from the output gradient `grad` `[N, O, outH, outW]`.
    /// The tiles are split into one run of blocks per kernel thread, each summing its products
    /// into sums of its own, added up at the end. `blockTiles` as in
    /// ``winogradConvolution2d(_:_:bias:_:blockTiles:)``.
    static func winogradConvolution2dWeightGradient(
        _ grad: NDArray, input: NDArray, geometry: ConvolutionGeometry, blockTiles: Int? = nil
    ) -> NDArray {
        let source = input.contiguous(), gradient = grad.contiguous()
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let outChannels = gradient.shape[1]
        let tiling = WinogradTiling(height: h, width: w, padding: geometry.padding, depth: c, rows: outChannels,
                                    images: n, blockTiles: blockTiles)
        let tiles = tiling.tiles(images: n), blockTiles = tiling.blockTiles
        guard tiles > 0 else { return NDArray(zeros: [outChannels, c, 3, 3]) }   // an empty batch
        let blocks = tiling.blocks(tiles: tiles)
        let parts = Swift.min(Kernels.threadCount, blocks)
        // Per part: its 16 sums [O, C], then the 16 planes of a block's transformed input and
        // the 16 of its transformed gradient.
        let sumsSize = 16 * outChannels * c
        let partSize = sumsSize + 16 * WinogradTiling.planeFloats(rows: c, tiles: blockTiles)
            + 16 * WinogradTiling.planeFloats(rows: outChannels, tiles: blockTiles)
        let scratch = NDArray(uninitialized: [parts, partSize])
        let image = source.pointer, outputGradient = gradient.pointer
        parallelFor(parts) { part in
            let sums = scratch.pointer + part * partSize
            var accumulate = false
            for block in partRange(part, of: parts, in: blocks) {
                let first = block * blockTiles, count = Swift.min(blockTiles, tiles - first)
                let inputPlane = WinogradTiling.planeFloats(rows: c, tiles: count)
                let gradientPlane = WinogradTiling.planeFloats(rows: outChannels, tiles: count)
                let v = sums + sumsSize, transformedGradient = v + 16 * inputPlane
                ag_winograd_input_tiles(image, Int64(c), Int64(h), Int64(w),
                                        Int64(geometry.padding.0), Int64(geometry.padding.1),
                                        Int64(tiling.tileRows), Int64(tiling.tileColumns), Int64(first), Int64(count),
                                        v, Int64(inputPlane))
                ag_winograd_gradient_tiles(outputGradient, Int64(outChannels), Int64(tiling.outHeight),
                                           Int64(tiling.outWidth), Int64(tiling.tileRows), Int64(tiling.tileColumns),
                                           Int64(first), Int64(count), transformedGradient, Int64(gradientPlane))
                for position in 0..<16 {
                    ag_sgemm(false, true, Int64(outChannels), Int64(c), Int64(count),
                             transformedGradient + position * gradientPlane, Int64(count),
                             v + position * inputPlane, Int64(count),
                             accumulate ? 1 : 0, sums + position * outChannels * c, Int64(c))
                }
                accumulate = true
            }
        }
        let total = scratch.pointer
        for part in 1..<parts {
            let partial = scratch.pointer + part * partSize
            for i in 0..<sumsSize { total[i] += partial[i] }
        }
        let result = NDArray(uninitialized: [outChannels, c, 3, 3])
        ag_winograd_weight_gradient(total, Int64(outChannels), Int64(c), result.pointer)
        return result
    }

    /// The stride-1 correlation of `input` `[N, depth, H, W]`, zero-padded by `padding`,
    /// with the 3×3 kernels `weight` `[O, C, 3, 3]` (used as `[O, C]` kernels, or with
    /// `flipTransposed` flipped as `[C, O]`), plus `bias`. Blocks of tiles (of `blockTiles`
    /// tiles when given) are tasks on the kernel threads, each with scratch of its own (from
    /// the buffer cache).
    private static func winogradCorrelation(
        _ input: NDArray, _ weight: NDArray, flipTransposed: Bool, bias: NDArray?, padding: (Int, Int),
        blockTiles: Int?
    ) -> NDArray {
        let source = input.contiguous(), kernels = weight.contiguous(), biasValues = bias?.contiguous()
        let (n, depth, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let rows = flipTransposed ? kernels.shape[1] : kernels.shape[0]
        let tiling = WinogradTiling(height: h, width: w, padding: padding, depth: depth, rows: rows, images: n,
                                    blockTiles: blockTiles)
        let transformedKernels = NDArray(uninitialized: [16, rows, depth])
        ag_winograd_kernels(kernels.pointer, Int64(kernels.shape[0]), Int64(kernels.shape[1]), flipTransposed,
                            transformedKernels.pointer)
        let result = NDArray(uninitialized: [n, rows, tiling.outHeight, tiling.outWidth])
        let tiles = tiling.tiles(images: n), blockTiles = tiling.blockTiles
        let u = transformedKernels.pointer, output = result.pointer, image = source.pointer
        let biasPointer = biasValues.map { UnsafePointer($0.pointer) }
        parallelFor(tiling.blocks(tiles: tiles)) { block in
            let first = block * blockTiles, count = Swift.min(blockTiles, tiles - first)
            // 16 planes of the transformed input, then 16 of the products.
            let inputPlane = WinogradTiling.planeFloats(rows: depth, tiles: count)
            let productPlane = WinogradTiling.planeFloats(rows: rows, tiles: count)
            let scratch = NDArray(uninitialized: [16 * (inputPlane + productPlane)])
            let v = scratch.pointer, products = v + 16 * inputPlane
            ag_winograd_input_tiles(image, Int64(depth), Int64(h), Int64(w), Int64(padding.0), Int64(padding.1),
                                    Int64(tiling.tileRows), Int64(tiling.tileColumns), Int64(first), Int64(count),
                                    v, Int64(inputPlane))
            for position in 0..<16 {
                ag_sgemm(false, false, Int64(rows), Int64(count), Int64(depth),
                         u + position * rows * depth, Int64(depth), v + position * inputPlane, Int64(count),
                         0, products + position * productPlane, Int64(count))
            }
            ag_winograd_output_tiles(products, Int64(rows), Int64(tiling.outHeight), Int64(tiling.outWidth),
                                     Int64(tiling.tileRows), Int64(tiling.tileColumns), Int64(first), Int64(count),
                                     Int64(productPlane), biasPointer, output)
        }
        return result
    }
}
