import CAutogradKernels
import XCTest
@testable import AutogradCore

/// `ag_sgemm_strided` on every kernel path against a double-precision reference, with the
/// operands read through every kind of stride the packing routines special-case (row-major,
/// transposed, broadcast rows, columns or both, and a general stride), on sizes around the
/// register, cache and job blocks, with beta 0 and 1, on one thread and on two (which must
/// agree exactly, whichever operand the threads share).
final class StridedGemmKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// How a rows x columns operand is laid out.
    private enum Strides: String, CaseIterable {
        case rowMajor = "row-major", transposed, rowsBroadcast = "rows broadcast"
        case columnsBroadcast = "columns broadcast", oneValue = "one value", strided
        /// Rows 4 KB apart: a left operand with such rows is packed (the transposing copy)
        /// instead of read in place.
        case pageRows = "rows 4 KB apart"

        /// The row and column strides of a rows x columns operand (at most 1024 columns).
        func of(_ rows: Int, _ columns: Int) -> (row: Int, column: Int) {
            switch self {
            case .pageRows: return (1024, 1)
            case .rowMajor: return (columns + 3, 1)
            case .transposed: return (1, rows + 2)
            case .rowsBroadcast: return (0, 1)
            case .columnsBroadcast: return (1, 0)
            case .oneValue: return (0, 0)
            case .strided: return (2 * columns + 1, 2)
            }
        }
    }

    /// A deterministic pseudo-random array in [-1, 1).
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        pseudoRandomFloats(count, seed: seed)
    }

    /// The operands and starting C of one case: storage for A (m x k) and B (k x n) read
    /// through the given strides, and C with row stride n + 3.
    private struct Case {
        let m, n, k: Int
        let a: [Float], aStrides: (row: Int, column: Int)
        let b: [Float], bStrides: (row: Int, column: Int)
        let c: [Float]
        var ldc: Int { n + 3 }
    }

    private func makeCase(m: Int, n: Int, k: Int, _ aLayout: Strides, _ bLayout: Strides) -> Case {
        let aStrides = aLayout.of(m, k), bStrides = bLayout.of(k, n)
        let aSpan = (m - 1) * aStrides.row + (k - 1) * aStrides.column + 1
        let bSpan = (k - 1) * bStrides.row + (n - 1) * bStrides.column + 1
        return Case(m: m, n: n, k: k, a: values(aSpan, seed: 1), aStrides: aStrides,
                    b: values(bSpan, seed: 2), bStrides: bStrides, c: values(m * (n + 3), seed: 3))
    }

    /// C = A·B + beta·C through ag_sgemm_strided on `path` with `threads` threads.
    private func run(_ x: Case, path: TestedKernelPath, threads: Int, beta: Float) -> [Float] {
        path.activate()
        Kernels.threadCount = threads
        var c = x.c
        ag_sgemm_strided(Int64(x.m), Int64(x.n), Int64(x.k),
                         x.a, Int64(x.aStrides.row), Int64(x.aStrides.column),
                         x.b, Int64(x.bStrides.row), Int64(x.bStrides.column), beta, &c, Int64(x.ldc))
        return c
    }

    /// The same product in double precision, element by element.
    private func reference(_ x: Case, beta: Float) -> [Float] {
        var c = x.c
        for i in 0..<x.m {
            for j in 0..<x.n {
                var sum = 0.0
                for p in 0..<x.k {
                    sum += Double(x.a[i * x.aStrides.row + p * x.aStrides.column])
                        * Double(x.b[p * x.bStrides.row + j * x.bStrides.column])
                }
                c[i * x.ldc + j] = Float(sum + Double(beta) * Double(c[i * x.ldc + j]))
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

    func testEveryPathAndLayoutMatchesDoublePrecision() {
        // Tiny (the unpacked loop), odd edges in both register blocks and in the 8-step
        // blocks of the transposing packs, and k over several kc blocks.
        let sizes = [(1, 1, 1), (3, 5, 2), (7, 17, 13), (37, 29, 41), (6, 16, 300), (13, 70, 9), (20, 9, 530)]
        for path in TestedKernelPath.all {
            for (m, n, k) in sizes {
                for aLayout in Strides.allCases {
                    for bLayout in Strides.allCases {
                        let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                        for beta: Float in [0, 1] {
                            assertClose(run(x, path: path, threads: 1, beta: beta), reference(x, beta: beta),
                                        tolerance: 1e-4 * Float(k),
                                        "\(path) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout) beta=\(beta)")
                        }
                    }
                }
            }
        }
    }

    func testTwoThreadsEqualOneWhicheverOperandTheyShare() {
        // Above the threading threshold. 150 x 131 splits M (the threads share B) unless A is
        // read in place (row-major: then each thread packs its own columns of B); 40 x 300
        // splits N (they share A unless it is read in place); k = 300 makes two kc blocks of
        // shared units on the AVX2 paths, 800 several on every path.
        for path in TestedKernelPath.all {
            for (m, n, k) in [(150, 131, 70), (40, 300, 300), (131, 150, 300), (64, 150, 800)] {
                for aLayout in [Strides.rowMajor, .pageRows, .transposed, .oneValue] {
                    for bLayout in [Strides.rowMajor, .transposed, .rowsBroadcast] {
                        let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                        let label = "\(path) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout)"
                        let single = run(x, path: path, threads: 1, beta: 1)
                        XCTAssertEqual(single, run(x, path: path, threads: 2, beta: 1), label)
                        assertClose(single, reference(x, beta: 1), tolerance: 1e-4 * Float(k), label)
                    }
                }
            }
        }
    }

    func testManyThreadsEqualOneWhereBothDimensionsAreCut() {
        // Few tiles along the split dimension for this many threads, so the other one is cut
        // at the shared units too. With A transposed (packed), 256 x 256 (matmul_256) and
        // 300 x 700 split M and cut N at B sliver groups; 150 x 400 splits N and cuts M at A
        // blocks; 700 x 72 has too few column groups to cut. With A row-major (read in place,
        // and small), all but 700 x 72 split N and cut M. k = 300 makes two kc blocks on the
        // AVX2 paths. Every tile is computed by the same kernel sequence, so results agree
        // exactly.
        for path in TestedKernelPath.all {
            for (m, n, k) in [(256, 256, 300), (300, 700, 30), (150, 400, 300), (700, 72, 300)] {
                for aLayout in [Strides.rowMajor, .transposed] {
                    let x = makeCase(m: m, n: n, k: k, aLayout, .transposed)
                    let single = run(x, path: path, threads: 1, beta: 1)
                    for threads in [3, 7, 16] {
                        XCTAssertEqual(single, run(x, path: path, threads: threads, beta: 1),
                                       "\(path) threads=\(threads) m=\(m) n=\(n) k=\(k) A \(aLayout)")
                    }
                }
            }
        }
    }

    func testProductsLargerThanOneJob() {
        // Over 2048 rows, over nc columns, over 4 kc blocks deep: several jobs, the later
        // ones along k accumulating into C.
        for path in TestedKernelPath.all {
            for (m, n, k) in [(2100, 20, 30), (20, 3100, 30), (40, 40, 1100)] {
                for (aLayout, bLayout) in [(Strides.rowMajor, Strides.transposed), (.transposed, .rowMajor)] {
                    let x = makeCase(m: m, n: n, k: k, aLayout, bLayout)
                    for threads in [1, 2] {
                        assertClose(run(x, path: path, threads: threads, beta: 0), reference(x, beta: 0),
                                    tolerance: 1e-4 * Float(k),
                                    "\(path) threads=\(threads) m=\(m) n=\(n) k=\(k) A \(aLayout) B \(bLayout)")
                    }
                }
            }
        }
    }

    func testEveryTileHeightOnEveryPath() {
        // Products of 1 to 13 rows and 25 to 36: every height of a last row tile, which the
        // AVX-512 paths give a kernel of its own, from A read in place (row-major) or packed
        // (transposed), for columns of one whole AVX-512 sliver and one with an edge.
        for path in TestedKernelPath.all {
            for m in Array(1...13) + Array(25...36) {
                for n in [32, 45] {
                    for aLayout in [Strides.rowMajor, .transposed] {
                        let x = makeCase(m: m, n: n, k: 37, aLayout, .rowMajor)
                        for beta: Float in [0, 1] {
                            assertClose(run(x, path: path, threads: 1, beta: beta), reference(x, beta: beta),
                                        tolerance: 1e-4 * 37, "\(path) m=\(m) n=\(n) A \(aLayout) beta=\(beta)")
                        }
                    }
                }
            }
        }
    }

    func testMatmulOfStridedViewsMatchesCopies() throws {
        // Views reach the kernel through their strides: a scalar expanded to a matrix (the
        // gradient of sum), every other column, and batches broadcast against a matrix.
        let a = NDArray(shape: [6, 10], scalars: values(60, seed: 30))
        let b = NDArray(shape: [10, 7], scalars: values(70, seed: 31))
        let scalar = NDArray(shape: [1, 1], scalars: [1.5])
        let everyOther = NDArray(storage: a.storage, layout: Layout(shape: [6, 5], strides: [10, 2], offset: 1))
        let batch = NDArray(shape: [3, 10, 7], scalars: values(210, seed: 32))
        let cases: [(NDArray, NDArray)] = [
            (try scalar.expanded([6, 10]), b), (a, try scalar.expanded([10, 7])),
            (everyOther, try b.sliced(dim: 0, start: 0, end: 5)),
            (try everyOther.transposed(0, 1), try a.sliced(dim: 1, start: 0, end: 6)),
            (a, batch), (try batch.transposed(1, 2), try a.transposed(0, 1)),
        ]
        for (lhs, rhs) in cases {
            let viewed = try NDArray.matmul(lhs, rhs), copied = try NDArray.matmul(lhs.copy(), rhs.copy())
            assertClose(viewed.scalars, copied.scalars, tolerance: 1e-5, "\(lhs.layout) x \(rhs.layout)")
        }
    }
}
