import XCTest
@testable import AutogradCore

/// The fused Adam update against the separate elementwise ops the unfused optimizer step
/// runs (the same kernels `mul_`, `lerp_`-as-`add_`, `addcmul_`, `sqrt`, `div` and `addcdiv_`
/// use): the same bits, for AdamW's decoupled decay, Adam's coupled decay and none, over
/// several steps, on every kernel path and on one and two threads.
final class AdamUpdateKernelTests: XCTestCase {
    override func tearDown() {
        Kernels.threadCount = 0
        Kernels.resetPath()
        super.tearDown()
    }

    /// The unfused update, op by op.
    private func separateOps(_ p: NDArray, _ g: NDArray, _ m: NDArray, _ v: NDArray, _ c: AdamCoefficients) throws {
        var gradient = g
        XCTAssertTrue(p.scaleInPlace(by: c.parameterScale))
        if c.gradientDecay != 0 {
            gradient = try NDArray.zip(.add, g, p.map(.multiplyScalar(Double(c.gradientDecay))), name: "add")
        }
        XCTAssertTrue(m.addScaledInPlace(try NDArray.zip(.subtract, gradient, m, name: "sub"), scale: c.firstMomentWeight))
        XCTAssertTrue(v.scaleInPlace(by: c.beta2))
        XCTAssertTrue(v.addScaledInPlace(try NDArray.zip(.multiply, gradient, gradient, name: "mul"), scale: c.secondMomentWeight))
        let denominator = v.map(.sqrt).map(.multiplyScalar(Double(c.denominatorScale))).map(.addScalar(Double(c.eps)))
        XCTAssertTrue(p.addScaledInPlace(try NDArray.zip(.divide, m, denominator, name: "div"), scale: c.stepScale))
    }

    func testFusedUpdateGivesTheSeparateOpsBits() throws {
        let count = 70_001   // above the parallel threshold, with a ragged end
        for (decoupled, decay) in [(true, 0.1), (false, 0.05), (true, 0.0)] {
            for (path, threads) in Kernels.availablePaths.flatMap({ path in [1, 2].map { (path, $0) } }) {
                Kernels.path = path
                Kernels.threadCount = threads
                let start = pseudoRandomFloats(count, seed: 1, scale: 0.5)
                let (fused, separate) = (NDArray(shape: [count], scalars: start), NDArray(shape: [count], scalars: start))
                let moments = (0..<4).map { _ in NDArray(zeros: [count]) }
                for step in 1...3 {
                    let gradient = NDArray(shape: [count], scalars: pseudoRandomFloats(count, seed: UInt64(10 + step), scale: 1e-3))
                    let (lr, beta1, beta2) = (1e-3, 0.9, 0.99)
                    let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
                    let c = AdamCoefficients(
                        parameterScale: decoupled && decay != 0 ? Float(1 - lr * decay) : 1,
                        gradientDecay: decoupled ? 0 : Float(decay), firstMomentWeight: Float(1 - beta1),
                        beta2: Float(beta2), secondMomentWeight: Float(1 - beta2),
                        denominatorScale: 1 / Float(correction2.squareRoot()), eps: 1e-8,
                        stepScale: Float(-(lr / correction1)))
                    XCTAssertTrue(fused.adamUpdateInPlace(gradient: gradient, firstMoment: moments[0],
                                                          secondMoment: moments[1], c))
                    try separateOps(separate, gradient, moments[2], moments[3], c)
                    let label = "decoupled \(decoupled) decay \(decay) \(path) threads \(threads) step \(step)"
                    XCTAssertEqual(fused.scalars.map(\.bitPattern), separate.scalars.map(\.bitPattern), label)
                    XCTAssertEqual(moments[0].scalars.map(\.bitPattern), moments[2].scalars.map(\.bitPattern), label)
                    XCTAssertEqual(moments[1].scalars.map(\.bitPattern), moments[3].scalars.map(\.bitPattern), label)
                }
            }
        }
    }

    func testArraysTheLoopCannotTakeAreRefused() throws {
        let c = AdamCoefficients(parameterScale: 1, gradientDecay: 0, firstMomentWeight: 0.1, beta2: 0.99,
                                 secondMomentWeight: 0.01, denominatorScale: 1, eps: 1e-8, stepScale: -1e-3)
        let p = NDArray(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let m = NDArray(zeros: [2, 3]), v = NDArray(zeros: [2, 3])
        // A transposed gradient, a moment of another shape, a float64 moment, shared storage.
        let transposed = try NDArray(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]).transposed(0, 1)
        XCTAssertFalse(p.adamUpdateInPlace(gradient: transposed, firstMoment: m, secondMoment: v, c))
        XCTAssertFalse(p.adamUpdateInPlace(gradient: p.copy(), firstMoment: NDArray(zeros: [6]), secondMoment: v, c))
        XCTAssertFalse(p.adamUpdateInPlace(gradient: p.copy(), firstMoment: m, secondMoment: NDArray(zeros: [2, 3], dtype: .float64), c))
        XCTAssertFalse(p.adamUpdateInPlace(gradient: p.copy(), firstMoment: m, secondMoment: m, c))
        XCTAssertEqual(p.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(m.scalars, [0, 0, 0, 0, 0, 0])
    }
}
