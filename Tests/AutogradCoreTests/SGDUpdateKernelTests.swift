import XCTest
@testable import AutogradCore

/// The fused SGD momentum step against the separate elementwise ops the unfused optimizer
/// step runs (`add` of the decayed parameter, `mul_` and `add_` on the buffer, `add_` on the
/// parameter): the same bits, with and without weight decay, dampening and Nesterov momentum,
/// over several steps, on every kernel path and on one and two threads.
final class SGDUpdateKernelTests: XCTestCase {
    override func tearDown() {
        Kernels.threadCount = 0
        Kernels.resetPath()
        super.tearDown()
    }

    /// The unfused step, op by op.
    private func separateOps(_ p: NDArray, _ g: NDArray, _ b: NDArray, _ c: SGDMomentumCoefficients) throws {
        var gradient = g
        if c.gradientDecay != 0 {
            gradient = try NDArray.zip(.add, g, p.map(.multiplyScalar(Double(c.gradientDecay))), name: "add")
        }
        XCTAssertTrue(b.scaleInPlace(by: c.momentum))
        XCTAssertTrue(b.addScaledInPlace(gradient, scale: c.gradientWeight))
        let direction = c.nesterov
            ? try NDArray.zip(.add, gradient, b.map(.multiplyScalar(Double(c.momentum))), name: "add") : b
        XCTAssertTrue(p.addScaledInPlace(direction, scale: c.stepScale))
    }

    func testFusedStepGivesTheSeparateOpsBits() throws {
        let count = 70_001   // above the parallel threshold, with a ragged end
        let settings: [(decay: Float, dampening: Float, nesterov: Bool)] = [(0, 0, false), (0.01, 0, true), (0.05, 0.3, false)]
        for setting in settings {
            for (path, threads) in Kernels.availablePaths.flatMap({ path in [1, 2].map { (path, $0) } }) {
                Kernels.path = path
                Kernels.threadCount = threads
                let start = pseudoRandomFloats(count, seed: 1, scale: 0.5)
                let buffer = pseudoRandomFloats(count, seed: 2, scale: 1e-2)
                let (fused, separate) = (NDArray(shape: [count], scalars: start), NDArray(shape: [count], scalars: start))
                let buffers = (0..<2).map { _ in NDArray(shape: [count], scalars: buffer) }
                let c = SGDMomentumCoefficients(gradientDecay: setting.decay, momentum: 0.9,
                                                gradientWeight: 1 - setting.dampening, stepScale: -0.01,
                                                nesterov: setting.nesterov)
                for step in 1...3 {
                    let gradient = NDArray(shape: [count],
                                           scalars: pseudoRandomFloats(count, seed: UInt64(10 + step), scale: 1e-2))
                    XCTAssertTrue(fused.sgdMomentumUpdateInPlace(gradient: gradient, momentumBuffer: buffers[0], c))
                    try separateOps(separate, gradient, buffers[1], c)
                    let label = "\(setting) \(path) threads \(threads) step \(step)"
                    XCTAssertEqual(fused.scalars.map(\.bitPattern), separate.scalars.map(\.bitPattern), label)
                    XCTAssertEqual(buffers[0].scalars.map(\.bitPattern), buffers[1].scalars.map(\.bitPattern), label)
                }
            }
        }
    }

    func testArraysTheLoopCannotTakeAreRefused() throws {
        let c = SGDMomentumCoefficients(gradientDecay: 0, momentum: 0.9, gradientWeight: 1, stepScale: -0.1, nesterov: false)
        let p = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = NDArray(zeros: [2, 3])
        // A transposed gradient, a buffer of another shape, a float64 buffer, shared storage.
        let transposed = try NDArray(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]).transposed(0, 1)
        XCTAssertFalse(p.sgdMomentumUpdateInPlace(gradient: transposed, momentumBuffer: b, c))
        XCTAssertFalse(p.sgdMomentumUpdateInPlace(gradient: p.copy(), momentumBuffer: NDArray(zeros: [6]), c))
        XCTAssertFalse(p.sgdMomentumUpdateInPlace(gradient: p.copy(), momentumBuffer: NDArray(zeros: [2, 3], dtype: .float64), c))
        XCTAssertFalse(p.sgdMomentumUpdateInPlace(gradient: b, momentumBuffer: b, c))
        XCTAssertEqual(p.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(b.scalars, [0, 0, 0, 0, 0, 0])
    }
}
