import CAutogradKernels
import XCTest
@testable import AutogradCore

/// The float64 GEMM (`ag_dgemm_strided` and its Swift wrapper `doubleMatmulKernel`) on every
/// kernel path against a naive double-precision loop, with the operands read through every
/// kind of stride the packing routines special-case (row-major, transposed, broadcast rows,
/// columns or both, and a general stride), on odd sizes around the register, cache and job
/// blocks, with beta 0 and 1, on one thread and on two (which must agree exactly, whichever
/// operand the threads share).
final class DoubleGemmKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// How a rows x columns operand is laid out.
    private enum Strides: String, CaseIterable {
        case rowMajor = "row-major", transposed, rowsBroadcast = "rows broadcast"
        case columnsBroadcast = "columns broadcast", oneValue = "one value", strided

        /// The row and column strides of a rows x columns operand.
        func of(_ rows: Int, _ columns: Int) -> (row: Int, column: Int) {
            switch self {
            case .rowMajor: return (columns + 3, 1)
            case .transposed: return (1, rows + 2)
            case .rowsBroadcast: return (0, 1)
            case .columnsBroadcast: return (1, 0)
            case .oneValue: return (0, 0)
            case .strided: return (2 * columns + 1, 2)
            }
        }
    }

    /// A deterministic pseudo-random array in [-1, 1), or of small integers in [-8, 8) when
    /// `integers` (then every product and sum of the tests is exact in double precision).
    private func values(_ count: Int, seed: UInt64, integers: Bool = false) -> [Double] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return integers ? Double(Int(state >> 60)) - 8 : Double(state >> 11) / Double(1 << 52) - 1
        }
    }

    /// The operands and starting C of one case: storage for A (m x k) and B (k x n) read
    /// through the given strides, and C with row stride n + 3.
    private struct Case {
        let m, n, k: Int
        let a: [Double], aStrides: (row: Int, column: Int)
        let b: [Double], bStrides: (row: Int, column: Int)
        let c: [Double]
        var ldc: Int { n + 3 }
    }

    private func makeCase(m: Int, n: Int, k: Int, _ aLayout: Strides, _ bLayout: Strides,
                          integers: Bool = false) -> Case {
        let aStrides = aLayout.of(m, k), bStrides = bLayout.of(k, n)
        let aSpan = (m - 1) * aStrides.row + (k - 1) * aStrides.column + 1
        let bSpan = (k - 1) * bStrides.row + (n - 1) * bStrides.column + 1
        return Case(m: m, n: n, k: k, a: values(aSpan, seed: 1, integers: integers), aStrides: aStrides,
                    b: values(bSpan, seed: 2, integers: integers), bStrides: bStrides,
                    c: values(m * (n + 3), seed: 3, integers: integers))
    }

    /// C = A·B + beta·C through ag_dgemm_strided on `path` with `threads` threads.
    private func run(_ x: Case, path: TestedKernelPath, threads: Int, beta: Double) -> [Double] {
        path.activate()
        Kernels.threadCount = threads
        var c = x.c
        ag_dgemm_strided(Int64(x.m), Int64(x.n), Int64(x.k),
                         x.a, Int64(x.aStrides.row), Int64(x.aStrides.column),
                         x.b, Int64(x.bStrides.row), Int64(x.bStrides.column), beta, &c, Int64(x.ldc))
        return c
    }

    /// The same product by the naive triple loop.
    private func reference(_ x: Case, beta: Double) -> [Double] {
        var c = x.c
        for i in 0..<x.m {
            for j in 0..<x.n {
                var sum = 0.0
                for p in 0..<x.k {
                    sum += x.a[i * x.aStrides.row + p * x.aStrides.column] * x.b[p * x.bStrides.row + j * x.bStrides.column]
                }
                c[i * x.ldc + j] = sum + beta * c[i * x.ldc + j]
            }
        }
        return c
    }

    private func assertClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): largest difference \(worst)", file: file, line: line)
    }

    func testEveryPathAndLayoutMatchesNaiveReference() {
        // Tiny (the unpacked loop), odd edges in both register blocks (4 x 4 portable, 6 x 8
        // AVX2) and in the 4-step blocks of the transposing packs, and k over several kc blocks.
        let sizes = [(1, 1, 1), (3, 5, 2), (7, 17, 13), (17, 7, 65), (65, 17, 7), (6, 8, 300),
                     (129, 13, 9), (13, 129, 17), (20, 9, 530)]
        for (m, n, k) in sizes {
            for aLayout in Strides.allCases {
                for bLayout in Strides.allCases {
                    let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                    for beta: Double in [0, 1] {
                        let expected = reference(x, beta: beta)
                        for path in TestedKernelPath.all {
                            assertClose(run(x, path: path, threads: 1, beta: beta), expected,
                                        tolerance: 1e-14 * Double(k),
                                        "\(path) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout) beta=\(beta)")
                        }
                    }
                }
            }
        }
    }

    func testExactOnIntegers() {
        // Small integers multiply and add exactly, so every path must give the reference
        // bit for bit, whatever the order of its sums.
        for (m, n, k) in [(7, 17, 13), (65, 9, 129), (129, 65, 3), (31, 33, 600)] {
            for (aLayout, bLayout) in [(Strides.rowMajor, Strides.rowMajor), (.transposed, .transposed),
                                       (.strided, .columnsBroadcast)] {
                let x = makeCase(m: m, n: n, k: k, aLayout, bLayout, integers: true)
                for beta: Double in [0, 1] {
                    let expected = reference(x, beta: beta)
                    for path in TestedKernelPath.all {
                        XCTAssertEqual(run(x, path: path, threads: 1, beta: beta), expected,
                                       "\(path) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout) beta=\(beta)")
                    }
                }
            }
        }
    }

    func testTwoThreadsEqualOneWhicheverOperandTheyShare() {
        // Above the threading threshold. 150 x 131 and 100 x 48 split M (the threads share
        // B); 40 x 300 splits N (they share A); k = 300 makes two kc blocks of shared units.
        for (m, n, k) in [(150, 131, 70), (40, 300, 300), (100, 48, 300)] {
            for aLayout in [Strides.rowMajor, .transposed, .oneValue] {
                for bLayout in [Strides.rowMajor, .transposed, .rowsBroadcast] {
                    let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                    for beta: Double in [0, 1] {
                        let expected = reference(x, beta: beta)
                        for path in TestedKernelPath.all {
                            let label = "\(path) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout) beta=\(beta)"
                            let single = run(x, path: path, threads: 1, beta: beta)
                            XCTAssertEqual(single, run(x, path: path, threads: 2, beta: beta), label)
                            assertClose(single, expected, tolerance: 1e-14 * Double(k), label)
                        }
                    }
                }
            }
        }
    }

    func testProductsLargerThanOneJob() {
        // Over 2048 rows, over nc columns, over 4 kc blocks deep: several jobs, the later
        // ones along k accumulating into C.
        for (m, n, k) in [(2100, 20, 30), (20, 3100, 30), (40, 40, 1100)] {
            for (aLayout, bLayout) in [(Strides.rowMajor, Strides.transposed), (.transposed, .rowMajor)] {
                let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                let expected = reference(x, beta: 0)
                for path in TestedKernelPath.all {
                    for threads in [1, 2] {
                        assertClose(run(x, path: path, threads: threads, beta: 0), expected,
                                    tolerance: 1e-14 * Double(k),
                                    "\(path) threads=\(threads) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout)")
                    }
                }
            }
        }
    }

    func testSwiftWrapper() {
        // doubleMatmulKernel on a transposed A and a broadcast B, overwriting and accumulating.
        let x = makeCase(m: 17, n: 9, k: 33, .transposed, .rowsBroadcast)
        for accumulate in [false, true] {
            var c = x.c
            x.a.withUnsafeBufferPointer { a in
                x.b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        doubleMatmulKernel(m: x.m, n: x.n, k: x.k,
                                           a: a.baseAddress!, aRowStride: x.aStrides.row, aColumnStride: x.aStrides.column,
                                           b: b.baseAddress!, bRowStride: x.bStrides.row, bColumnStride: x.bStrides.column,
                                           c: c.baseAddress!, ldc: x.ldc, accumulate: accumulate)
                    }
                }
            }
            assertClose(c, reference(x, beta: accumulate ? 1 : 0), tolerance: 1e-12, "accumulate=\(accumulate)")
        }
    }

    func testEmptyInnerDimension() {
        // k = 0: the product is zero, so C becomes 0 (beta = 0) or stays as it was (beta = 1);
        // m = 0 or n = 0 touches nothing.
        let a = [1.0], b = [2.0]
        for beta: Double in [0, 1] {
            var c = [5.0, 6.0, 7.0, 8.0]
            ag_dgemm_strided(2, 2, 0, a, 1, 1, b, 1, 1, beta, &c, 2)
            XCTAssertEqual(c, beta == 0 ? [0, 0, 0, 0] : [5, 6, 7, 8], "beta=\(beta)")
            var untouched = [5.0, 6.0]
            ag_dgemm_strided(0, 2, 1, a, 1, 1, b, 1, 1, beta, &untouched, 2)
            ag_dgemm_strided(2, 0, 1, a, 1, 1, b, 1, 1, beta, &untouched, 1)
            XCTAssertEqual(untouched, [5, 6], "beta=\(beta)")
        }
    }
}
