import CAutogradKernels
import XCTest
@testable import AutogradCore

/// Every kernel path the CPU can run (portable, AVX2, ...) against the portable one and a
/// double-precision reference, on sizes that are not multiples of the register or cache
/// blocks, with transposes, beta = 1, padded leading dimensions and several threads.
final class KernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// A deterministic pseudo-random matrix in [-1, 1).
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        pseudoRandomFloats(count, seed: seed)
    }

    /// C = op(A)·op(B) + beta·C through `ag_sgemm` with leading dimensions padded by 3.
    private func gemm(
        path: TestedKernelPath, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Float
    ) -> [Float] {
        path.activate()
        let (rowsA, colsA) = transposeA ? (k, m) : (m, k)
        let (rowsB, colsB) = transposeB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (colsA + 3, colsB + 3, n + 3)
        let a = values(rowsA * lda, seed: 1), b = values(rowsB * ldb, seed: 2)
        var c = values(m * ldc, seed: 3)
        ag_sgemm(transposeA, transposeB, Int64(m), Int64(n), Int64(k), a, Int64(lda), b, Int64(ldb), beta, &c, Int64(ldc))
        return c
    }

    /// The same product computed in double precision, element by element.
    private func reference(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Float) -> [Float] {
        let (rowsA, colsA) = transposeA ? (k, m) : (m, k)
        let (rowsB, colsB) = transposeB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (colsA + 3, colsB + 3, n + 3)
        let a = values(rowsA * lda, seed: 1), b = values(rowsB * ldb, seed: 2)
        var c = values(m * ldc, seed: 3)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                c[i * ldc + j] = Float(sum + Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return c
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): largest difference \(worst)", file: file, line: line)
    }

    /// Sizes around the blocks: tiny (the unpacked loop), odd edges, k across two kc
    /// blocks (beta applied once, then accumulation; the last size on every path), m across
    /// two mc blocks. Their leading dimensions are padded by 3, so B is always packed here;
    /// `testRowMajorBReadInPlaceMatchesThePortablePath` covers B read in place.
    private let sizes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (3, 5, 2), (7, 17, 13), (37, 29, 41), (6, 16, 300), (150, 33, 20), (13, 70, 9), (20, 70, 400),
    ]

    func testPortableGemmMatchesDoublePrecisionReference() {
        for (m, n, k) in sizes {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    for beta: Float in [0, 1] {
                        let label = "portable m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB) beta=\(beta)"
                        assertClose(gemm(path: .portable, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta),
                                    reference(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta),
                                    tolerance: 1e-4 * Float(k), label)
                    }
                }
            }
        }
    }

    func testEveryKernelPathMatchesThePortableOne() {
        XCTAssertTrue(TestedKernelPath.all.contains(.portable))
        for path in TestedKernelPath.all where path != .portable {
            for (m, n, k) in sizes {
                for transposeA in [false, true] {
                    for transposeB in [false, true] {
                        for beta: Float in [0, 1] {
                            let label = "\(path) m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB) beta=\(beta)"
                            assertClose(gemm(path: path, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta),
                                        gemm(path: .portable, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta),
                                        tolerance: 1e-4 * Float(k), label)
                        }
                    }
                }
            }
        }
    }

    func testThreadedGemmEqualsSingleThreaded() {
        // 130 x 131 x 70 is above the threading threshold; each element is computed by the
        // same micro-kernel sequence whichever thread owns its tile, so the results agree exactly.
        for path in TestedKernelPath.all {
            for transposeB in [false, true] {
                Kernels.threadCount = 1
                let single = gemm(path: path, transposeA: false, transposeB: transposeB, m: 130, n: 131, k: 70, beta: 1)
                Kernels.threadCount = 2
                let threaded = gemm(path: path, transposeA: false, transposeB: transposeB, m: 130, n: 131, k: 70, beta: 1)
                XCTAssertEqual(single, threaded, "\(path) tB=\(transposeB)")
            }
        }
    }

    /// A short product whose row-major B starts a cache line and has rows of whole lines:
    /// the AVX-512 paths read B's full slivers in place (packing only the partial last one),
    /// on one thread and on two, across two kc blocks, and agree with the portable path.
    func testRowMajorBReadInPlaceMatchesThePortablePath() {
        let (m, n, k, ldb) = (130, 131, 400, 144)
        let a = values(m * k, seed: 4), c = values(m * n, seed: 6)
        let b = UnsafeMutableRawPointer.allocate(byteCount: k * ldb * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: k * ldb)
        defer { b.deallocate() }
        b.initialize(from: values(k * ldb, seed: 5), count: k * ldb)
        func product(_ path: TestedKernelPath, threads: Int) -> [Float] {
            path.activate()
            Kernels.threadCount = threads
            var result = c
            ag_sgemm(false, false, Int64(m), Int64(n), Int64(k), a, Int64(k), b, Int64(ldb), 1, &result, Int64(n))
            return result
        }
        let portable = product(.portable, threads: 1)
        for path in TestedKernelPath.all {
            let single = product(path, threads: 1)
            assertClose(single, portable, tolerance: 1e-4 * Float(k), "\(path)")
            XCTAssertEqual(product(path, threads: 2), single, "\(path) on two threads")
        }
    }

    func testForcingAPathIsVisibleAndResettable() {
        Kernels.path = .portable
        XCTAssertEqual(Kernels.path, .portable)
        XCTAssertEqual(ag_kernel_path_get(), AG_KERNEL_PATH_PORTABLE)
        Kernels.resetPath()
        XCTAssertTrue(Kernels.path.isAvailable)
        Kernels.threadCount = 3
        XCTAssertEqual(Kernels.threadCount, 3)
        Kernels.threadCount = 0
        XCTAssertGreaterThanOrEqual(Kernels.threadCount, 1)
    }

    func testGemmBlockOverrideTakesOnlyWholeBlocks() {
        // The AUTOGRAD_AVX512_SGEMM_BLOCKS / _DGEMM_BLOCKS form: mc a multiple of mr (12),
        // kc of 8, nc of nr (32); anything else leaves the sizes as they were.
        var (mc, kc, nc): (Int64, Int64, Int64) = (144, 256, 3072)
        XCTAssertTrue(ag_parse_gemm_blocks("192,384,4096", 12, 32, &mc, &kc, &nc))
        XCTAssertEqual([mc, kc, nc], [192, 384, 4096])
        for bad in ["100,384,4096", "192,380,4096", "192,384,4010", "0,384,4096", "192,384", "192,384,4096x", "", "a,b,c"] {
            XCTAssertFalse(ag_parse_gemm_blocks(bad, 12, 32, &mc, &kc, &nc), bad)
            XCTAssertEqual([mc, kc, nc], [192, 384, 4096], bad)
        }
        XCTAssertFalse(ag_parse_gemm_blocks(nil, 12, 32, &mc, &kc, &nc))
    }

    func testAVX512PathIsChosenExactlyWhereTheCPUHasIt() {
        let hasAVX512 = Kernels.Path.avx512.isAvailable
        XCTAssertEqual(hasAVX512, ag_kernel_path_available(AG_KERNEL_PATH_AVX512))
        Kernels.resetPath()
        if hasAVX512 {
            XCTAssertEqual(Kernels.path, .avx512)
            XCTAssertTrue(Kernels.Path.avx2.isAvailable)
        } else {
            XCTAssertNotEqual(Kernels.path, .avx512)
            // Forcing a path the CPU lacks changes nothing.
            let before = ag_kernel_path_get()
            XCTAssertFalse(ag_kernel_path_set(AG_KERNEL_PATH_AVX512))
            XCTAssertEqual(ag_kernel_path_get(), before)
        }
        // The AVX-512 tiles on AVX2 instructions exist wherever AVX2 does and report as AVX2.
        XCTAssertEqual(ag_kernel_path_available(AG_KERNEL_PATH_AVX512_ON_AVX2), Kernels.Path.avx2.isAvailable)
        if TestedKernelPath.all.contains(.avx512OnAVX2) {
            TestedKernelPath.avx512OnAVX2.activate()
            XCTAssertEqual(Kernels.path, .avx2)
        }
    }

    func testSumOfEveryPathMatchesDoublePrecision() {
        for path in TestedKernelPath.all {
            path.activate()
            for count in [0, 1, 7, 16, 17, 33, 64, 95, 1001] {
                let x = values(count, seed: UInt64(count))
                let expected = x.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(ag_sum(x, Int64(count)), expected, accuracy: 1e-9, "\(path) count=\(count)")
            }
        }
    }

    func testLongSumsAreTheSameOnAnyNumberOfThreads() {
        let count = (1 << 17) + 12_345
        let x = values(count, seed: 77)
        let expected = x.reduce(0.0) { $0 + Double($1) }
        for path in TestedKernelPath.all {
            path.activate()
            Kernels.threadCount = 1
            let single = ag_sum(x, Int64(count))
            XCTAssertEqual(single, expected, accuracy: 1e-8, "\(path)")
            for threads in [2, 5] {
                Kernels.threadCount = threads
                XCTAssertEqual(ag_sum(x, Int64(count)), single, "\(path) threads=\(threads)")
            }
        }
    }

    func testParallelForRunsEveryIndexOnce() {
        Kernels.threadCount = 2
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 100)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 100)
        parallelFor(100) { counts[$0] += 1 }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: 100)), Array(repeating: 1, count: 100))
    }

    func testMatmulOfBroadcastAndTransposedViewsMatchesCopies() throws {
        // Views whose rows or columns have stride 0 (expand) or are swapped (transpose)
        // reach the kernel without a copy; the result must equal that of contiguous copies.
        let row = NDArray(shape: [1, 9], scalars: values(9, seed: 20))
        let column = NDArray(shape: [9, 1], scalars: values(9, seed: 21))
        let b = NDArray(shape: [9, 11], scalars: values(99, seed: 22))
        let a = NDArray(shape: [7, 9], scalars: values(63, seed: 23))
        let cases: [(NDArray, NDArray)] = [
            (try row.expanded([7, 9]), b), (try column.expanded([9, 7]).transposed(0, 1), b),
            (a, try column.expanded([9, 11])), (a, try row.expanded([11, 9]).transposed(0, 1)),
            (try b.transposed(0, 1), try a.transposed(0, 1)),
        ]
        for (lhs, rhs) in cases {
            let viewed = try NDArray.matmul(lhs, rhs), copied = try NDArray.matmul(lhs.copy(), rhs.copy())
            assertClose(viewed.scalars, copied.scalars, tolerance: 1e-5, "\(lhs.layout) x \(rhs.layout)")
        }
    }

    // MARK: Convolution

    /// `[N, O, oh, ow]` by the definition, in double precision.
    private func directConvolution(_ x: NDArray, _ w: NDArray, _ bias: NDArray?, _ g: ConvolutionGeometry) -> [Float] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let (oh, ow) = g.outputSize(height: h, width: wd)
        let xs = x.scalars, ws = w.scalars, bs = bias?.scalars
        var out = [Float](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for oc in 0..<o { for y in 0..<oh { for xx in 0..<ow {
            var sum = Double(bs?[oc] ?? 0)
            for ic in 0..<c { for i in 0..<g.kernel.0 { for j in 0..<g.kernel.1 {
                let iy = y * g.stride.0 - g.padding.0 + i * g.dilation.0
                let ix = xx * g.stride.1 - g.padding.1 + j * g.dilation.1
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                sum += Double(xs[((b * c + ic) * h + iy) * wd + ix]) * Double(ws[((oc * c + ic) * g.kernel.0 + i) * g.kernel.1 + j])
            } } }
            out[((b * o + oc) * oh + y) * ow + xx] = Float(sum)
        } } } }
        return out
    }

    private let geometries = [
        ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1)),
        ConvolutionGeometry(kernel: (3, 2), stride: (2, 1), padding: (1, 0), dilation: (1, 2)),
        ConvolutionGeometry(kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1)),
        ConvolutionGeometry(kernel: (2, 3), stride: (2, 3), padding: (2, 1), dilation: (1, 1)),
    ]

    func testConvolutionOfEveryPathMatchesTheDefinition() {
        let x = NDArray(shape: [3, 4, 7, 9], scalars: values(3 * 4 * 7 * 9, seed: 5))
        for path in TestedKernelPath.all {
            path.activate()
            for threads in [1, 2] {
                Kernels.threadCount = threads
                for g in geometries {
                    let w = NDArray(shape: [5, 4, g.kernel.0, g.kernel.1], scalars: values(5 * 4 * g.kernel.0 * g.kernel.1, seed: 6))
                    let bias = NDArray(shape: [5], scalars: values(5, seed: 7))
                    assertClose(NDArray.convolution2d(x, w, bias: bias, g).scalars, directConvolution(x, w, bias, g),
                                tolerance: 1e-4, "\(path) threads=\(threads) \(g.kernel) \(g.stride) \(g.padding)")
                }
            }
        }
    }

    func testUnfoldAndFoldByBlocksOfPositionsMatchTheWholeImage() {
        // The convolution unfolds a block of output positions at a time; blocks that start
        // and end mid-row must give the same columns (and folded sums) as the whole image.
        let (c, h, w) = (3, 7, 9)
        let image = values(c * h * w, seed: 17)
        for g in geometries {
            let (oh, ow) = g.outputSize(height: h, width: w)
            let (rows, positions) = (c * g.kernel.0 * g.kernel.1, oh * ow)
            var whole = [Float](repeating: .nan, count: rows * positions)
            g.im2col(image, channels: c, height: h, width: w, positions: 0..<positions, into: &whole)
            var folded = [Float](repeating: 0, count: c * h * w)
            g.col2im(whole, channels: c, height: h, width: w, positions: 0..<positions, into: &folded)
            var foldedByBlocks = [Float](repeating: 0, count: c * h * w)
            for block in [1, 5, ow + 1] {
                for first in stride(from: 0, to: positions, by: block) {
                    let last = Swift.min(first + block, positions)
                    var part = [Float](repeating: .nan, count: rows * (last - first))
                    g.im2col(image, channels: c, height: h, width: w, positions: first..<last, into: &part)
                    for r in 0..<rows {
                        XCTAssertEqual(Array(part[(r * (last - first))..<((r + 1) * (last - first))]),
                                       Array(whole[(r * positions + first)..<(r * positions + last)]),
                                       "\(g.kernel) \(g.stride) \(g.padding) block \(block) at \(first), row \(r)")
                    }
                    if block == 5 {
                        // Side by side with other columns (rows `count + 3` apart), as for
                        // a group of small images: the same columns, and the same fold.
                        let count = last - first
                        var wide = [Float](repeating: .nan, count: rows * (count + 3))
                        g.im2col(image, channels: c, height: h, width: w, positions: first..<last, into: &wide, rowStride: count + 3)
                        for r in 0..<rows {
                            XCTAssertEqual(Array(wide[(r * (count + 3))..<(r * (count + 3) + count)]),
                                           Array(part[(r * count)..<((r + 1) * count)]), "\(g.kernel) rows \(count + 3) apart")
                        }
                        g.col2im(wide, channels: c, height: h, width: w, positions: first..<last, rowStride: count + 3,
                                 into: &foldedByBlocks)
                    }
                }
            }
            assertClose(foldedByBlocks, folded, tolerance: 1e-5, "fold by blocks \(g.kernel) \(g.stride) \(g.padding)")
        }
    }

    func testConvolutionBackwardMatchesTheAdjointsOfUnfold() throws {
        // dx = fold(Wᵀ·g), dW = Σₙ g[n]·unfold(x)[n]ᵀ, db = Σ g: the composed ops the
        // engine uses when it records the backward pass.
        let x = NDArray(shape: [3, 4, 7, 9], scalars: values(3 * 4 * 7 * 9, seed: 8))
        for path in TestedKernelPath.all {
            path.activate()
            for threads in [1, 2] {
                Kernels.threadCount = threads
                for g in geometries {
                    let w = NDArray(shape: [5, 4, g.kernel.0, g.kernel.1], scalars: values(5 * 4 * g.kernel.0 * g.kernel.1, seed: 9))
                    let (oh, ow) = g.outputSize(height: 7, width: 9)
                    let grad = NDArray(shape: [3, 5, oh, ow], scalars: values(3 * 5 * oh * ow, seed: 10))
                    let (dx, dw, db) = NDArray.convolution2dBackward(
                        grad, input: x, weight: w, geometry: g, inputGradient: true, weightGradient: true, biasGradient: true)
                    let gradColumns = try grad.reshaped([3, 5, oh * ow])
                    let kernels = try w.reshaped([5, -1])
                    let expectedInput = try NDArray.matmul(kernels.transposed(0, 1), gradColumns).folded(g, imageShape: x.shape)
                    let expectedWeight = try NDArray.matmul(gradColumns, x.unfolded(g).transposed(1, 2)).sum(dims: [0], keepDim: false)
                    let expectedBias = grad.sum(dims: [0, 2, 3], keepDim: false)
                    let label = "\(path) threads=\(threads) \(g.kernel) \(g.stride) \(g.padding)"
                    assertClose(dx!.scalars, expectedInput.scalars, tolerance: 1e-4, "dx " + label)
                    assertClose(dw!.scalars, expectedWeight.scalars, tolerance: 1e-4, "dW " + label)
                    assertClose(db!.scalars, expectedBias.scalars, tolerance: 1e-4, "db " + label)
                }
            }
        }
    }

    func testConvolutionInBlocksOfPartImagesMatchesTheComposedOps() throws {
        // 16 channels of 40×40 with a 3×3 kernel unfold to more columns than one block
        // holds, so each image is split into blocks that start mid-row (the small images
        // above are unfolded several to a block instead).
        let g = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        let x = NDArray(shape: [2, 16, 40, 40], scalars: values(2 * 16 * 40 * 40, seed: 18))
        let w = NDArray(shape: [4, 16, 3, 3], scalars: values(4 * 16 * 9, seed: 19))
        let bias = NDArray(shape: [4], scalars: values(4, seed: 20))
        let grad = NDArray(shape: [2, 4, 40, 40], scalars: values(2 * 4 * 1600, seed: 21))
        let kernels = try w.reshaped([4, -1]), columns = x.unfolded(g), gradColumns = try grad.reshaped([2, 4, 1600])
        let expectedOutput = try NDArray.zip(.add, NDArray.matmul(kernels, columns), bias.reshaped([4, 1]), name: "add")
        let expectedInput = try NDArray.matmul(kernels.transposed(0, 1), gradColumns).folded(g, imageShape: x.shape)
        let expectedWeight = try NDArray.matmul(gradColumns, columns.transposed(1, 2)).sum(dims: [0], keepDim: false)
        for threads in [1, 2] {
            Kernels.threadCount = threads
            assertClose(NDArray.convolution2d(x, w, bias: bias, g).scalars, expectedOutput.scalars, tolerance: 1e-4,
                        "output, threads=\(threads)")
            let (dx, dw, _) = NDArray.convolution2dBackward(
                grad, input: x, weight: w, geometry: g, inputGradient: true, weightGradient: true, biasGradient: false)
            assertClose(dx!.scalars, expectedInput.scalars, tolerance: 1e-4, "dx, threads=\(threads)")
            assertClose(dw!.scalars, expectedWeight.scalars, tolerance: 1e-3, "dW, threads=\(threads)")
        }
    }

    // MARK: Elementwise

    func testElementwiseFastPathsMatchTheScalarDefinition() throws {
        let a = NDArray(shape: [4, 6], scalars: values(24, seed: 11))
        let row = NDArray(shape: [6], scalars: values(6, seed: 12).map { $0 + 2 })
        let column = NDArray(shape: [4, 1], scalars: values(4, seed: 13).map { $0 + 2 })
        let ops: [BinaryOp] = [.add, .subtract, .multiply, .divide, .greater, .maximum, .minimum, .power, .equal]
        for op in ops {
            let t = try a.transposed(0, 1)
            for (lhs, rhs) in [(a, row), (row, a), (a, column), (column, a), (a, a), (t, t)] {
                let result = try NDArray.zip(op, lhs, rhs, name: "test")
                let left = lhs.layout.broadcast(to: result.shape), right = rhs.layout.broadcast(to: result.shape)
                let l = NDArray(storage: lhs.storage, layout: left).scalars, r = NDArray(storage: rhs.storage, layout: right).scalars
                let expected = zip(l, r).map { op.apply($0, $1) }
                XCTAssertTrue(zip(result.scalars, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
                              "\(op) \(lhs.shape) \(rhs.shape)")
            }
        }
        let unary: [UnaryOp] = [.negate, .exp, .abs, .relu, .isPositive, .reciprocal, .sigmoid, .tanh,
                                .addScalar(2), .multiplyScalar(-3), .reverseSubtractScalar(1), .reverseDivideScalar(2), .power(2), .power(3)]
        for op in unary {
            // exp, sigmoid and tanh run the polynomials of elementwise.c (a few ulp from the C
            // library's functions), the rest the same IEEE operation as the scalar definition.
            let ulps: Float = op == .sigmoid ? 4 : (op == .exp || op == .tanh ? 2 : 0)
            for input in [a, try a.transposed(0, 1)] {
                XCTAssertTrue(zip(input.map(op).scalars, input.scalars.map { op.apply($0) }).allSatisfy {
                    $0 == $1 || ($0.isNaN && $1.isNaN) || Swift.abs($0 - $1) <= ulps * $1.ulp
                }, "\(op)")
            }
            // A strided input gives the contiguous one's bits.
            let strided = try a.transposed(0, 1).map(op).transposed(0, 1).contiguous()
            XCTAssertEqual(strided.scalars.map(\.bitPattern), a.map(op).scalars.map(\.bitPattern), "\(op) strided")
        }
    }

    func testThreadedElementwiseEqualsSingleThreaded() throws {
        // Above parallelElementwiseMinimum the contiguous loops split over threads.
        let count = parallelElementwiseMinimum + 1001
        let a = NDArray(shape: [count], scalars: values(count, seed: 15))
        let b = NDArray(shape: [count], scalars: values(count, seed: 16))
        Kernels.threadCount = 1
        let (sum1, relu1) = (try NDArray.zip(.add, a, b, name: "add").scalars, a.map(.relu).scalars)
        Kernels.threadCount = 2
        let (sum2, relu2) = (try NDArray.zip(.add, a, b, name: "add").scalars, a.map(.relu).scalars)
        XCTAssertEqual(sum1, sum2)
        XCTAssertEqual(relu1, relu2)
    }

    func testSumsMatchDoublePrecision() {
        let a = NDArray(shape: [3, 5, 37], scalars: values(3 * 5 * 37, seed: 14))
        let s = a.scalars
        XCTAssertEqual(a.sumAll().scalarValue, Float(s.reduce(0.0) { $0 + Double($1) }), accuracy: 1e-5)
        let rows = a.sum(dims: [2], keepDim: false).scalars
        for r in 0..<15 {
            XCTAssertEqual(rows[r], Float(s[(r * 37)..<(r * 37 + 37)].reduce(0.0) { $0 + Double($1) }), accuracy: 1e-5)
        }
    }
}
