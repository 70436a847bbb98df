import CAutogradKernels
import XCTest
@testable import AutogradCore

/// Layer normalisation's single-precision C kernel (layer_norm.c) on every kernel path,
/// forward and backward, against the float64 path on the same inputs: widths below, at and
/// around the eight-lane vectors, with and without weight and bias, rows split over threads.
final class LayerNormKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    private func values(_ count: Int, seed: UInt64, offset: Float = 0) -> [Float] {
        pseudoRandomFloats(count, seed: seed).map { $0 * 2 + offset }
    }

    private func doubles(_ array: NDArray) -> [Double] {
        let source = array.contiguous().converted(to: .float64)
        return Array(UnsafeBufferPointer(start: source.rawPointer.assumingMemoryBound(to: Double.self), count: array.count))
    }

    private func assertClose(_ actual: NDArray?, _ expected: NDArray?, _ tolerance: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let actual, let expected else {
            XCTAssertTrue(actual == nil && expected == nil, message, file: file, line: line)
            return
        }
        XCTAssertEqual(actual.dtype, .float32, message, file: file, line: line)
        let (a, e) = (doubles(actual), doubles(expected))
        XCTAssertEqual(a.count, e.count, message, file: file, line: line)
        let worst = zip(a, e).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): largest difference \(worst)", file: file, line: line)
    }

    func testForwardAndBackwardMatchDoublePrecisionOnEveryPath() {
        // (rows, width): a lone element, tails only, one vector, vectors and tails, the GPT's
        // width, and enough rows (96 x 512) to be split over two threads.
        let shapes = [(3, 1), (5, 7), (4, 8), (6, 19), (9, 128), (96, 512)]
        for (rows, width) in shapes {
            // An offset makes the mean large against the spread, where a one-pass variance would fail.
            let x = NDArray(shape: [rows, width], scalars: values(rows * width, seed: 1, offset: 30))
            let grad = NDArray(shape: [rows, width], scalars: values(rows * width, seed: 2))
            let weight = NDArray(shape: [width], scalars: values(width, seed: 3))
            let bias = NDArray(shape: [width], scalars: values(width, seed: 4))
            let d = { (a: NDArray) in a.converted(to: .float64) }
            for affine in [false, true] {
                let (w, b) = affine ? (weight, bias) : (nil, nil)
                let reference = d(x).layerNormalized(width: width, weight: w.map(d), bias: b.map(d), eps: 1e-5)
                let referenceGradients = d(x).layerNormBackward(d(grad), mean: reference.mean,
                                                                reciprocalStd: reference.reciprocalStd,
                                                                weight: w.map(d), width: width)
                for path in Kernels.availablePaths {
                    Kernels.path = path
                    for threads in [1, 2] {
                        Kernels.threadCount = threads
                        let label = "\(path) \(threads) threads \(rows)x\(width) affine \(affine)"
                        let forward = x.layerNormalized(width: width, weight: w, bias: b, eps: 1e-5)
                        assertClose(forward.output, reference.output, 2e-5, "\(label) output")
                        assertClose(forward.mean, reference.mean, 1e-6, "\(label) mean")
                        assertClose(forward.reciprocalStd, reference.reciprocalStd, 1e-5, "\(label) rstd")
                        let gradients = x.layerNormBackward(grad, mean: forward.mean, reciprocalStd: forward.reciprocalStd,
                                                            weight: w, width: width)
                        assertClose(gradients.input, referenceGradients.input, 1e-4, "\(label) input gradient")
                        assertClose(gradients.weight, referenceGradients.weight, 1e-4 * Double(rows).squareRoot(),
                                    "\(label) weight gradient")
                        assertClose(gradients.bias, referenceGradients.bias, 1e-5 * Double(rows).squareRoot(),
                                    "\(label) bias gradient")
                    }
                }
            }
        }
    }
}
