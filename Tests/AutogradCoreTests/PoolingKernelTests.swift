import XCTest
@testable import AutogradCore

/// The max pooling kernel against a plain definition: values, PyTorch's tie and NaN rules,
/// padding and dilation, the split over threads, and the gradient scatter.
final class PoolingKernelTests: XCTestCase {
    override func tearDown() {
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Max pooling as PyTorch's CPU kernel defines it: scan each window's taps inside the
    /// image in row-major order, keeping a tap when it is larger than the best so far or NaN.
    private func reference(_ x: NDArray, _ g: ConvolutionGeometry) -> (values: [Float], indices: [Float]) {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = g.outputSize(height: h, width: w)
        let scalars = x.scalars
        var values: [Float] = [], indices: [Float] = []
        for plane in 0..<planes {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity, at = -1
                    for i in 0..<g.kernel.0 {
                        for j in 0..<g.kernel.1 {
                            let y = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                            let xx = ox * g.stride.1 - g.padding.1 + j * g.dilation.1
                            guard (0..<h).contains(y) && (0..<w).contains(xx) else { continue }
                            let v = scalars[plane * h * w + y * w + xx]
                            if at < 0 { at = y * w + xx }
                            if v > best || v.isNaN { (best, at) = (v, y * w + xx) }
                        }
                    }
                    values.append(best)
                    indices.append(Float(at))
                }
            }
        }
        return (values, indices)
    }

    private let geometries = [
        ConvolutionGeometry(kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1)),
        ConvolutionGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1)),
        ConvolutionGeometry(kernel: (3, 2), stride: (1, 2), padding: (1, 1), dilation: (2, 1)),
        ConvolutionGeometry(kernel: (2, 3), stride: (3, 1), padding: (1, 0), dilation: (1, 3)),
    ]

    func testMaxPoolingMatchesTheDefinitionOnEveryThreadCount() {
        // Small integers make ties; -inf and NaN follow PyTorch (NaN wins, -inf keeps the first tap).
        // Large enough that every geometry splits the planes over two threads.
        let width = 27   // 2x2 windows: three runs of four outputs and one alone per row
        var scalars: [Float] = (0..<(8 * 16 * 24 * width)).map { i in Float((i * 7919) % 5) - 2 }
        // NaN as each tap of a 2x2 window (b, c, d, and a with c): the four-lane loop takes
        // them lane by lane.
        for position in [3, width + 4, width + 7, 8, width + 8] { scalars[position] = .nan }
        scalars[100] = -.infinity
        scalars[101] = -.infinity
        let x = NDArray(shape: [8, 16, 24, width], scalars: scalars)
        for g in geometries {
            let expected = reference(x, g)
            for threads in [1, 2] {
                Kernels.threadCount = threads
                let (values, indices) = x.maxPooled(g)
                XCTAssertEqual(indices.scalars, expected.indices, "\(g) threads=\(threads)")
                XCTAssertTrue(zip(values.scalars, expected.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
                              "\(g) threads=\(threads)")
            }
        }
    }

    func testMaxPoolGradientAddsIntoTheRecordedPositions() {
        let x = NDArray(shape: [4, 8, 30, 30], scalars: (0..<(4 * 8 * 900)).map { i in Float((i * 37) % 11) })
        let g = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        let (values, indices) = x.maxPooled(g)
        let grad = NDArray(shape: values.shape, scalars: (0..<values.count).map { i in Float(i % 13) - 6 })
        var expected = [Float](repeating: 0, count: x.count)
        for (i, (value, index)) in zip(grad.scalars, indices.scalars).enumerated() {
            expected[i / 900 * 900 + Int(index)] += value   // same-size planes: 3×3, stride 1, padding 1
        }
        for threads in [1, 2] {
            Kernels.threadCount = threads
            XCTAssertEqual(NDArray.maxPoolGradient(grad, indices: indices, inputShape: x.shape).scalars, expected)
        }
    }
}
