import XCTest
@testable import AutogradCore

/// The Winograd F(2×2, 3×3) convolution (NDArray+WinogradConvolution.swift) on every kernel
/// path, one thread and two: the forward pass and both gradients against im2col + GEMM
/// for every padding it takes, odd and even output sizes, rows wide enough for every path's
/// vectors of tiles, blocks of the tiling's size and blocks that end mid-row; the block
/// size's rule; and the rule that chooses Winograd.
final class WinogradConvolutionKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Within 1e-4 of `expected`, relative to its magnitude above 1.
    private func assertClose(_ actual: NDArray, _ expected: NDArray, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
        for (i, (a, e)) in zip(actual.scalars, expected.scalars).enumerated() where abs(a - e) > 1e-4 * max(1, abs(e)) {
            XCTFail("\(message): element \(i) is \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    /// One convolution: images [n, c, h, w], kernels [o, c, 3, 3] and the padding.
    private struct Case {
        let n, c, h, w, o: Int
        let padding: (Int, Int)
    }

    private static let cases: [Case] = [
        // Odd output sizes (a last tile row and column that hang over), padded by 1.
        Case(n: 2, c: 3, h: 9, w: 11, o: 5, padding: (1, 1)),
        // Unpadded, and padded by 2 (whose input gradient is unpadded), unequal per axis.
        Case(n: 1, c: 4, h: 10, w: 7, o: 6, padding: (0, 0)),
        Case(n: 2, c: 5, h: 6, w: 8, o: 3, padding: (2, 0)),
        Case(n: 1, c: 2, h: 5, w: 5, o: 2, padding: (0, 2)),
        // Rows wide enough for vectors of 16 tiles, with the tiles after the last vector and
        // the ragged last column (odd output widths) one at a time.
        Case(n: 2, c: 3, h: 6, w: 41, o: 4, padding: (1, 1)),
        Case(n: 1, c: 2, h: 7, w: 38, o: 3, padding: (0, 0)),
        // Enough channels and tiles for several blocks of the tiling's size over 3 images.
        Case(n: 3, c: 40, h: 13, w: 15, o: 40, padding: (1, 1)),
    ]

    private func geometry(_ test: Case) -> ConvolutionGeometry {
        ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: test.padding, dilation: (1, 1))
    }

    private func operands(_ test: Case, seed: UInt64) -> (x: NDArray, w: NDArray, bias: NDArray) {
        (NDArray(shape: [test.n, test.c, test.h, test.w],
                 scalars: pseudoRandomFloats(test.n * test.c * test.h * test.w, seed: seed)),
         NDArray(shape: [test.o, test.c, 3, 3], scalars: pseudoRandomFloats(test.o * test.c * 9, seed: seed + 1)),
         NDArray(shape: [test.o], scalars: pseudoRandomFloats(test.o, seed: seed + 2)))
    }

    func testTheLastCaseSpansSeveralBlocks() {
        let test = Self.cases.last!
        Kernels.threadCount = 1
        let tiling = WinogradTiling(height: test.h, width: test.w, padding: test.padding, depth: test.c, rows: test.o,
                                    images: test.n)
        XCTAssertEqual([tiling.tileRows, tiling.tileColumns], [7, 8])
        XCTAssertGreaterThan(tiling.blocks(tiles: tiling.tiles(images: test.n)), 1)
    }

    func testBlocksAreWholeRowsAndSliversOfAboutTheirBytesWithTwoPerThread() {
        // The benchmark's layer: 28 tiles a row, 6 KB a tile, 16 images of 28 × 28 tiles.
        func blockTiles(columns: Int = 28, tiles: Int = 12_544, sliver: Int = 32, threads: Int = 2) -> Int {
            WinogradTiling.blockTiles(tileColumns: columns, tiles: tiles, bytesPerTile: 6144, sliverColumns: sliver,
                                      threads: threads)
        }
        XCTAssertEqual(blockTiles(), 224, "8 rows of 28, 7 slivers of 32, near 1.5 MB / 6 KB = 256")
        XCTAssertEqual(blockTiles(sliver: 16), 224, "two of 112, the rows and slivers' least common multiple")
        XCTAssertEqual(blockTiles(sliver: 8), 224, "slivers narrower than 16 count as 16")
        XCTAssertEqual(blockTiles(tiles: 784, threads: 4), 112, "two blocks per thread: 98 tiles, rounded to 4 rows of 28")
        XCTAssertEqual(blockTiles(columns: 200), 200, "no common multiple near 256: whole rows")
        XCTAssertEqual(blockTiles(columns: 300), 256, "rows longer than the goal: whole slivers")
        XCTAssertEqual(blockTiles(tiles: 40, threads: 16), 32, "at least 16 tiles, rounded to a sliver")
    }

    /// `expected` (im2col + GEMM on the default path, one thread) against `winograd` on every
    /// path, one thread and two, with the tiling's blocks (nil) and blocks of 24 tiles, which
    /// end mid-row in every case.
    private func assertEveryPathMatches(_ label: String, expected: () -> NDArray, winograd: (Int?) -> NDArray,
                                        file: StaticString = #filePath, line: UInt = #line) {
        Kernels.resetPath()
        Kernels.threadCount = 1
        let reference = expected()
        for path in TestedKernelPath.all {
            path.activate()
            for threads in [1, 2] {
                Kernels.threadCount = threads
                for blockTiles in [nil, 24] {
                    assertClose(winograd(blockTiles), reference,
                                "\(label) \(path) threads=\(threads) blockTiles=\(blockTiles.map(String.init) ?? "rule")",
                                file: file, line: line)
                }
            }
        }
    }

    /// A random output gradient for `test`.
    private func outputGradient(_ test: Case, seed: UInt64) -> NDArray {
        let (oh, ow) = geometry(test).outputSize(height: test.h, width: test.w)
        return NDArray(shape: [test.n, test.o, oh, ow], scalars: pseudoRandomFloats(test.n * test.o * oh * ow, seed: seed))
    }

    func testForwardOfEveryPathMatchesUnfoldAndMultiply() {
        for (index, test) in Self.cases.enumerated() {
            let g = geometry(test)
            let (x, w, bias) = operands(test, seed: UInt64(10 * index))
            for b in [bias, nil] {
                assertEveryPathMatches("case \(index) bias \(b != nil)",
                                       expected: { NDArray.columnConvolution2d(x, w, bias: b, g) },
                                       winograd: { NDArray.winogradConvolution2d(x, w, bias: b, g, blockTiles: $0) })
            }
        }
    }

    func testBothGradientsOfEveryPathMatchUnfoldMultiplyAndFold() {
        for (index, test) in Self.cases.enumerated() {
            let g = geometry(test)
            let (x, w, _) = operands(test, seed: UInt64(10 * index + 5))
            let grad = outputGradient(test, seed: UInt64(index))
            let columns = {
                NDArray.columnConvolution2dBackward(grad, input: x, weight: w, geometry: g, inputGradient: true,
                                                    weightGradient: true, biasGradient: false)
            }
            assertEveryPathMatches("case \(index) input gradient", expected: { columns().input! },
                                   winograd: { NDArray.winogradConvolution2dInputGradient(grad, weight: w, geometry: g,
                                                                                         blockTiles: $0) })
            assertEveryPathMatches("case \(index) weight gradient", expected: { columns().weight! },
                                   winograd: { NDArray.winogradConvolution2dWeightGradient(grad, input: x, geometry: g,
                                                                                          blockTiles: $0) })
        }
    }

    func testConvolutionRunsEveryPieceByWinogradBeforeTheDirectKernels() {
        // 16 → 16 channels over 9×12 images: the direct kernels' rules would take every
        // piece, Winograd's rule comes first. The results are Winograd's to the bit.
        let test = Case(n: 2, c: 16, h: 9, w: 12, o: 16, padding: (1, 1))
        let g = geometry(test)
        XCTAssertTrue(g.usesWinograd(channels: 16, outChannels: 16))
        XCTAssertTrue(g.usesDirectForward(rows: 16 * 9, positions: 9 * 12))
        XCTAssertTrue(g.usesDirectWeightGradient(rows: 16 * 9, positions: 9 * 12))
        XCTAssertTrue(g.usesDirectInputGradient(rows: 16 * 9, positions: 9 * 12, outChannels: 16))
        let (x, w, bias) = operands(test, seed: 99)
        let output = NDArray.convolution2d(x, w, bias: bias, g)
        XCTAssertEqual(output.scalars, NDArray.winogradConvolution2d(x, w, bias: bias, g).scalars)
        XCTAssertNotEqual(output.scalars, NDArray.directConvolution2d(x, w, bias: bias, g).scalars,
                          "the direct kernels round differently, so the comparison tells the two apart")
        let grad = outputGradient(test, seed: 98)
        let gradients = NDArray.convolution2dBackward(
            grad, input: x, weight: w, geometry: g, inputGradient: true, weightGradient: true, biasGradient: true)
        XCTAssertEqual(gradients.input!.scalars, NDArray.winogradConvolution2dInputGradient(grad, weight: w, geometry: g).scalars)
        XCTAssertEqual(gradients.weight!.scalars, NDArray.winogradConvolution2dWeightGradient(grad, input: x, geometry: g).scalars)
        assertClose(gradients.bias!, NDArray.convolutionBiasGradient(grad), "bias gradient")
        let columns = NDArray.columnConvolution2dBackward(
            grad, input: x, weight: w, geometry: g, inputGradient: true, weightGradient: true, biasGradient: true)
        assertClose(gradients.input!, columns.input!, "input gradient")
        assertClose(gradients.weight!, columns.weight!, "weight gradient")
    }

    func testAnEmptyBatchHasAZeroWeightGradient() {
        let g = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        let dw = NDArray.winogradConvolution2dWeightGradient(
            NDArray(zeros: [0, 16, 5, 5]), input: NDArray(zeros: [0, 16, 5, 5]), geometry: g)
        XCTAssertEqual(dw.shape, [16, 16, 3, 3])
        XCTAssertEqual(Set(dw.scalars), [0])
    }

    func testTheRuleTakesStrideOneThreeByThreeKernelsWithSixteenChannelsOrMore() {
        let layer = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        XCTAssertTrue(layer.usesWinograd(channels: 32, outChannels: 64), "the benchmark's 32→64 layer")
        XCTAssertTrue(layer.usesWinograd(channels: 16, outChannels: 16))
        XCTAssertFalse(layer.usesWinograd(channels: 8, outChannels: 64), "few input channels")
        XCTAssertFalse(layer.usesWinograd(channels: 64, outChannels: 8), "few output channels")
        for other in [
            ConvolutionGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1)),
            ConvolutionGeometry(kernel: (5, 5), stride: (1, 1), padding: (2, 2), dilation: (1, 1)),
            ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (2, 2)),
            ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (3, 1), dilation: (1, 1)),
        ] {
            XCTAssertFalse(other.usesWinograd(channels: 32, outChannels: 64), "\(other)")
        }
    }
}
