import CAutogradKernels
import XCTest
@testable import AutogradCore

/// The direct convolution kernels (conv_direct.c) on every kernel path against im2col + GEMM:
/// forward, kernels' gradient and input gradient for LeNet's layers and for odd shapes
/// (stride 2, padding, dilation, unequal axes, batch 1 and 3, widths not a multiple of 8),
/// on one thread and several.
final class DirectConvolutionKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// One convolution: images [n, c, h, w], kernels [o, c, kh, kw] and its geometry.
    private struct Case: CustomStringConvertible {
        let n, c, h, w, o: Int
        let geometry: ConvolutionGeometry

        init(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ o: Int, kernel: (Int, Int),
             stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
            (self.n, self.c, self.h, self.w, self.o) = (n, c, h, w, o)
            geometry = ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        }

        var description: String {
            "[\(n), \(c), \(h), \(w)] → \(o), kernel \(geometry.kernel), stride \(geometry.stride), "
                + "padding \(geometry.padding), dilation \(geometry.dilation)"
        }
    }

    private static let cases: [Case] = [
        Case(3, 1, 28, 28, 6, kernel: (5, 5)),                       // LeNet's first layer
        Case(3, 6, 12, 12, 16, kernel: (5, 5)),                      // LeNet's second layer
        // Large enough to thread; three (output-channel block, channel) pairs, so the weight
        // gradient splits the batch over the threads too.
        Case(4, 1, 28, 28, 6, kernel: (5, 5)),
        // One image, large enough to thread: the forward pass splits its output channels.
        Case(1, 6, 20, 20, 16, kernel: (5, 5)),
        Case(1, 6, 12, 12, 16, kernel: (5, 5)),
        Case(3, 3, 11, 13, 5, kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        Case(1, 2, 9, 10, 7, kernel: (3, 2), padding: (2, 1), dilation: (2, 1)),
        Case(3, 4, 13, 17, 9, kernel: (3, 3), stride: (1, 2), padding: (0, 3), dilation: (1, 2)),
        Case(2, 3, 7, 7, 1, kernel: (1, 1)),
        Case(2, 2, 20, 20, 13, kernel: (7, 7), stride: (3, 1), padding: (4, 2)),
        Case(2, 3, 8, 9, 10, kernel: (3, 8), padding: (1, 4)),
        Case(1, 1, 5, 5, 3, kernel: (5, 5)),
        Case(3, 2, 6, 21, 4, kernel: (2, 3), stride: (2, 1), padding: (1, 0), dilation: (2, 3)),
        // More output channels than unfolded rows (C·kh·kw), a 1×1 kernel among them.
        Case(2, 2, 6, 7, 24, kernel: (2, 2), padding: (1, 0)),
        Case(2, 3, 5, 6, 8, kernel: (1, 1)),
    ]

    /// A deterministic pseudo-random array in [-1, 1).
    private func values(_ shape: [Int], seed: UInt64) -> NDArray {
        NDArray(shape: shape, scalars: pseudoRandomFloats(shape.reduce(1, *), seed: seed))
    }

    /// Within 1e-4 of `expected`, relative to its magnitude above 1 (the weight gradient sums
    /// up to 1728 products of values in [-1, 1) in another order).
    private func assertClose(_ actual: NDArray?, _ expected: NDArray?, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let actual, let expected else {
            XCTFail("\(message): missing result", file: file, line: line)
            return
        }
        XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
        var worst: Float = 0
        for (a, e) in zip(actual.scalars, expected.scalars) {
            let error = abs(a - e) / max(1, abs(e))
            worst = error.isNaN ? .infinity : max(worst, error)
        }
        XCTAssertLessThanOrEqual(worst, 1e-4, "\(message): worst error \(worst)", file: file, line: line)
    }

    /// Each case on each path and thread count: the direct kernels against im2col + GEMM.
    private func checkEveryPath(threads: Int) {
        Kernels.threadCount = threads
        for path in Kernels.availablePaths {
            Kernels.path = path
            for (index, example) in Self.cases.enumerated() {
                let seed = UInt64(index * 10)
                let input = values([example.n, example.c, example.h, example.w], seed: seed + 1)
                let kernelShape = [example.o, example.c, example.geometry.kernel.0, example.geometry.kernel.1]
                let weight = values(kernelShape, seed: seed + 2)
                let bias = values([example.o], seed: seed + 3)
                let expected = NDArray.columnConvolution2d(input, weight, bias: bias, example.geometry)
                let message = "\(path), \(threads) threads, \(example)"
                assertClose(NDArray.directConvolution2d(input, weight, bias: bias, example.geometry), expected, "forward \(message)")
                assertClose(NDArray.directConvolution2d(input, weight, bias: nil, example.geometry),
                            NDArray.columnConvolution2d(input, weight, bias: nil, example.geometry), "forward without bias \(message)")
                let grad = values(expected.shape, seed: seed + 4)
                let reference = NDArray.columnConvolution2dBackward(
                    grad, input: input, weight: weight, geometry: example.geometry,
                    inputGradient: true, weightGradient: true, biasGradient: true)
                assertClose(NDArray.directConvolution2dWeightGradient(grad, input: input, weightShape: kernelShape,
                                                                      geometry: example.geometry),
                            reference.weight, "weight gradient \(message)")
                assertClose(NDArray.directConvolution2dInputGradient(grad, weight: weight, inputShape: input.shape,
                                                                     geometry: example.geometry),
                            reference.input, "input gradient \(message)")
                assertClose(NDArray.convolutionBiasGradient(grad), reference.bias, "bias gradient \(message)")
                // The dispatching entry points, whichever kernels they pick.
                assertClose(NDArray.convolution2d(input, weight, bias: bias, example.geometry), expected, "dispatch \(message)")
                let dispatched = NDArray.convolution2dBackward(
                    grad, input: input, weight: weight, geometry: example.geometry,
                    inputGradient: true, weightGradient: true, biasGradient: true)
                assertClose(dispatched.input, reference.input, "dispatched input gradient \(message)")
                assertClose(dispatched.weight, reference.weight, "dispatched weight gradient \(message)")
                assertClose(dispatched.bias, reference.bias, "dispatched bias gradient \(message)")
            }
        }
    }

    func testDirectKernelsMatchColumnsOnOneThread() {
        checkEveryPath(threads: 1)
    }

    func testDirectKernelsMatchColumnsOnThreeThreads() {
        checkEveryPath(threads: 3)
    }

    /// LeNet's layers take the direct kernels; wide layers on large images keep im2col + GEMM,
    /// as do the pieces that measured slower directly.
    func testDispatchRules() {
        let lenet = ConvolutionGeometry(kernel: (5, 5), stride: (1, 1), padding: (0, 0), dilation: (1, 1))
        XCTAssertTrue(lenet.usesDirectForward(rows: 25, positions: 576))
        XCTAssertTrue(lenet.usesDirectWeightGradient(rows: 25, positions: 576))
        XCTAssertTrue(lenet.usesDirectForward(rows: 150, positions: 64))
        XCTAssertTrue(lenet.usesDirectWeightGradient(rows: 150, positions: 64))
        XCTAssertTrue(lenet.usesDirectInputGradient(rows: 150, positions: 64, outChannels: 16))
        XCTAssertTrue(lenet.usesDirectForward(rows: 800, positions: 64))
        XCTAssertFalse(lenet.usesDirectWeightGradient(rows: 800, positions: 64))
        XCTAssertFalse(lenet.usesDirectInputGradient(rows: 800, positions: 64, outChannels: 64))
        XCTAssertFalse(lenet.usesDirectInputGradient(rows: 75, positions: 784, outChannels: 16))
        let wide = ConvolutionGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1))
        XCTAssertFalse(wide.usesDirectForward(rows: 288, positions: 3136))
        XCTAssertFalse(wide.usesDirectWeightGradient(rows: 288, positions: 3136))
        XCTAssertFalse(wide.usesDirectInputGradient(rows: 288, positions: 3136, outChannels: 64))
        XCTAssertFalse(wide.usesDirectForward(rows: 72, positions: 3136))
        XCTAssertFalse(wide.usesDirectWeightGradient(rows: 72, positions: 3136))
        XCTAssertTrue(wide.usesDirectForward(rows: 27, positions: 3136))
        let strided = ConvolutionGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1))
        XCTAssertFalse(strided.usesDirectForward(rows: 27, positions: 64))
    }
}
