import CAutogradKernels
import XCTest
@testable import AutogradCore

/// The implicit-GEMM convolution (NDArray+ImplicitConvolution.swift) on every kernel path:
/// `ag_sgemm_offset_rows` against a double-precision reference (widths that end in a part
/// sliver, depths over several cache blocks, beta 0 and 1, one thread and two), and the
/// forward pass against im2col + GEMM for paddings, dilations and kernels of every shape
/// it takes, including blocks of output rows that end mid-image.
final class ImplicitConvolutionKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Within 1e-4 of `expected`, relative to its magnitude above 1.
    private func assertClose(_ actual: [Float], _ expected: [Float], _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > 1e-4 * max(1, abs(e)) {
            XCTFail("\(message): element \(i) is \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    func testOffsetRowsGemmOfEveryPathMatchesTheDefinition() {
        // B's rows are windows of one buffer at scattered, overlapping offsets.
        for (m, n, k) in [(5, 37, 9), (13, 100, 40), (64, 300, 420), (30, 700, 300)] {
            let source = pseudoRandomFloats(4 * k + n + 64, seed: UInt64(k))
            let offsets = (0..<k).map { Int64(($0 * 7919) % (3 * k + 50)) }
            let a = pseudoRandomFloats(m * (k + 2), seed: 2)   // row stride k + 2
            let start = pseudoRandomFloats(m * n, seed: 3)
            for beta: Float in [0, 1] {
                var expected = [Float](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = beta == 0 ? 0 : Double(start[i * n + j])
                        for step in 0..<k { sum += Double(a[i * (k + 2) + step]) * Double(source[Int(offsets[step]) + j]) }
                        expected[i * n + j] = Float(sum)
                    }
                }
                for path in TestedKernelPath.all {
                    path.activate()
                    for threads in [1, 2] {
                        Kernels.threadCount = threads
                        var c = start
                        ag_sgemm_offset_rows(Int64(m), Int64(n), Int64(k), a, Int64(k + 2), source, offsets, beta, &c, Int64(n))
                        assertClose(c, expected, "\(path) threads=\(threads) \(m)x\(n)x\(k) beta \(beta)")
                    }
                }
            }
        }
    }

    /// One convolution: images [n, c, h, w], kernels [o, c, kh, kw] and its geometry.
    private struct Case {
        let n, c, h, w, o: Int
        let geometry: ConvolutionGeometry
    }

    private static let cases: [Case] = [
        // The benchmark's layer, smaller: a 3×3 kernel padded by 1.
        Case(n: 3, c: 8, h: 20, w: 23, o: 13, geometry: .init(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))),
        // Unequal kernel, padding and dilation per axis.
        Case(n: 2, c: 5, h: 17, w: 30, o: 7, geometry: .init(kernel: (5, 3), stride: (1, 1), padding: (2, 0), dilation: (1, 2))),
        // Unpadded; a 1×1 kernel with padding; padding beyond the kernel's reach.
        Case(n: 2, c: 6, h: 15, w: 16, o: 4, geometry: .init(kernel: (3, 3), stride: (1, 1), padding: (0, 0), dilation: (1, 1))),
        Case(n: 2, c: 3, h: 12, w: 14, o: 5, geometry: .init(kernel: (1, 1), stride: (1, 1), padding: (1, 2), dilation: (1, 1))),
        Case(n: 1, c: 4, h: 10, w: 11, o: 20, geometry: .init(kernel: (3, 2), stride: (1, 1), padding: (3, 4), dilation: (2, 1))),
        // Many channels: blocks of a few output rows, the last one shorter.
        Case(n: 2, c: 48, h: 19, w: 21, o: 9, geometry: .init(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))),
    ]

    func testForwardOfEveryPathMatchesUnfoldAndMultiply() throws {
        for (index, test) in Self.cases.enumerated() {
            let g = test.geometry
            let x = NDArray(shape: [test.n, test.c, test.h, test.w],
                            scalars: pseudoRandomFloats(test.n * test.c * test.h * test.w, seed: UInt64(10 + index)))
            let taps = g.kernel.0 * g.kernel.1
            let w = NDArray(shape: [test.o, test.c, g.kernel.0, g.kernel.1],
                            scalars: pseudoRandomFloats(test.o * test.c * taps, seed: UInt64(20 + index)))
            let bias = NDArray(shape: [test.o], scalars: pseudoRandomFloats(test.o, seed: UInt64(30 + index)))
            let (oh, ow) = g.outputSize(height: test.h, width: test.w)
            let expected = try NDArray.zip(
                .add, NDArray.matmul(w.reshaped([test.o, -1]), x.unfolded(g)), bias.reshaped([test.o, 1]), name: "add")
            let plan = ImplicitConvolutionPlan(channels: test.c, height: test.h, width: test.w, kernel: g.kernel,
                                               padding: g.padding, dilation: g.dilation)
            XCTAssertEqual([plan.outHeight, plan.outWidth], [oh, ow], "case \(index)")
            for path in TestedKernelPath.all {
                path.activate()
                for threads in [1, 2] {
                    Kernels.threadCount = threads
                    let output = NDArray.implicitConvolution2d(x, w, bias: index % 2 == 0 ? bias : nil, g)
                    let reference = index % 2 == 0 ? expected : try NDArray.matmul(w.reshaped([test.o, -1]), x.unfolded(g))
                    XCTAssertEqual(output.shape, [test.n, test.o, oh, ow])
                    assertClose(output.scalars, reference.scalars, "case \(index) \(path) threads=\(threads)")
                }
            }
        }
    }

    func testLargeStrideOneImagesSuitAnImplicitGemmOnTheAVX512Path() {
        // 32→64 3×3 over 56×56 (conv_fwd_bwd, which runs by Winograd before this rule is
        // asked): one image unfolds to more than a block.
        let g = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        XCTAssertTrue(g.suitsImplicitGEMM(rows: 32 * 9, positions: 56 * 56))
        XCTAssertFalse(g.suitsImplicitGEMM(rows: 32 * 9, positions: 4 * 4), "small images unfold several at a time")
        let strided = ConvolutionGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1))
        XCTAssertFalse(strided.suitsImplicitGEMM(rows: 32 * 9, positions: 28 * 28))
        let pointwise = ConvolutionGeometry(kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1))
        XCTAssertFalse(pointwise.suitsImplicitGEMM(rows: 32, positions: 56 * 56))
        for path in Kernels.availablePaths {
            Kernels.path = path
            XCTAssertEqual(g.usesImplicitGEMM(rows: 32 * 9, positions: 56 * 56), path == .avx512, "\(path)")
        }
    }
}
