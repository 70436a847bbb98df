import CAutogradKernels
import XCTest
@testable import AutogradCore

/// The recurrent layers' C kernels on every kernel path: the GEMM with a packed right
/// operand against the strided GEMM, and the fused LSTM and GRU steps (the vector kernels'
/// polynomial exp and tanh) against the generic Swift steps in double precision.
final class RecurrentKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    private func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        pseudoRandomFloats(count, seed: seed).map { $0 * scale }
    }

    /// Sizes around the register and cache blocks, with B read straight and transposed,
    /// beta 0 and 1, and products big enough to be split over two threads.
    func testPackedRightOperandMatchesTheStridedGemm() {
        let sizes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (2, 36, 9), (7, 17, 13), (32, 1024, 256), (32, 256, 1024),
                                                 (75, 40, 300)]
        for path in TestedKernelPath.all {
            path.activate()
            for threads in [1, 2] {
                Kernels.threadCount = threads
                for (m, n, k) in sizes {
                    for transposed in [false, true] {
                        for beta: Float in [0, 1] {
                            let a = values(m * k, seed: 1), b = values(k * n, seed: 2), start = values(m * (n + 2), seed: 3)
                            let (rowStride, columnStride) = transposed ? (1, k) : (n, 1)
                            var expected = start, actual = start
                            ag_sgemm_strided(Int64(m), Int64(n), Int64(k), a, Int64(k), 1, b, Int64(rowStride),
                                             Int64(columnStride), beta, &expected, Int64(n + 2))
                            var packed = [Float](repeating: .nan, count: Int(ag_sgemm_packed_b_size(Int64(k), Int64(n))) + 16)
                            packed.withUnsafeMutableBufferPointer { buffer in
                                // The packed copy must start 32-byte aligned for the vector loads.
                                let base = buffer.baseAddress!
                                let aligned = base + (8 - (Int(bitPattern: base) / 4) % 8) % 8
                                ag_sgemm_pack_b(Int64(k), Int64(n), b, Int64(rowStride), Int64(columnStride), aligned)
                                ag_sgemm_packed_b(Int64(m), Int64(n), Int64(k), a, Int64(k), 1, aligned, beta, &actual,
                                                  Int64(n + 2))
                            }
                            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                            XCTAssertLessThanOrEqual(worst, 1e-5 * Float(k),
                                                     "\(path) threads \(threads) m=\(m) n=\(n) k=\(k) transposed \(transposed) beta \(beta)")
                        }
                    }
                }
            }
        }
    }

    /// One LSTM step forward and backward in the C kernel (float32) against the generic
    /// step in double precision, with pre-activations from -12 to 12 (saturated gates).
    func testLSTMStepKernelsMatchTheGenericSteps() {
        let (batch, hidden) = (3, 19)
        let x = values(batch * 4 * hidden, seed: 4, scale: 6), hh = values(batch * 4 * hidden, seed: 5, scale: 6)
        let cPrevious = values(batch * hidden, seed: 6, scale: 2), gradH = values(batch * hidden, seed: 7)
        let bias = values(4 * hidden, seed: 16)
        let dhNext = values(batch * hidden, seed: 8), dcNext = values(batch * hidden, seed: 9)
        let d = { (v: [Float]) in v.map(Double.init) }
        var referenceGates = d(hh), referenceC = [Double](repeating: 0, count: batch * hidden)
        var referenceH = referenceC
        Double.lstmForwardStep(batch: batch, hidden: hidden, x: d(x), xRowStride: 4 * hidden, bias: d(bias),
                               gates: &referenceGates,
                               gatesRowStride: 4 * hidden, cPrevious: d(cPrevious), cPreviousRowStride: hidden,
                               c: &referenceC, cRowStride: hidden, h: &referenceH, hRowStride: hidden)
        var referenceDc = d(dcNext), referenceDGates = [Double](repeating: 0, count: batch * 4 * hidden)
        Double.lstmBackwardStep(batch: batch, hidden: hidden, gates: referenceGates, gatesRowStride: 4 * hidden,
                                cPrevious: d(cPrevious), cPreviousRowStride: hidden, c: referenceC, cRowStride: hidden,
                                gradH: d(gradH), gradHRowStride: hidden, dhNext: d(dhNext), dc: &referenceDc,
                                dGates: &referenceDGates, dGatesRowStride: 4 * hidden)
        for path in TestedKernelPath.all {
            path.activate()
            var gates = hh, c = [Float](repeating: 0, count: batch * hidden), h = c
            ag_lstm_forward_step(Int64(batch), Int64(hidden), x, Int64(4 * hidden), bias, &gates, Int64(4 * hidden), cPrevious,
                                 Int64(hidden), &c, Int64(hidden), &h, Int64(hidden))
            var dc = dcNext, dGates = [Float](repeating: 0, count: batch * 4 * hidden)
            ag_lstm_backward_step(Int64(batch), Int64(hidden), gates, Int64(4 * hidden), cPrevious, Int64(hidden), c,
                                  Int64(hidden), gradH, Int64(hidden), dhNext, &dc, &dGates, Int64(4 * hidden))
            assertClose(gates, referenceGates, "\(path) gates")
            assertClose(c, referenceC, "\(path) c")
            assertClose(h, referenceH, "\(path) h")
            assertClose(dc, referenceDc, "\(path) dc")
            assertClose(dGates, referenceDGates, "\(path) dGates")
        }
    }

    /// A NaN pre-activation makes its unit's gates, cell and hidden state NaN (as PyTorch's),
    /// and only that unit's, on every path and at every position in the row.
    func testANaNPreActivationReachesOnlyItsOwnUnit() {
        let (batch, hidden) = (1, 37)
        for path in TestedKernelPath.all {
            path.activate()
            for unit in [0, 15, 16, 36] {
                var x = values(4 * hidden, seed: 18)
                x[2 * hidden + unit] = .nan
                var gates = values(4 * hidden, seed: 19), c = [Float](repeating: 0, count: hidden), h = c
                ag_lstm_forward_step(Int64(batch), Int64(hidden), x, Int64(4 * hidden), nil, &gates, Int64(4 * hidden),
                                     values(hidden, seed: 20), Int64(hidden), &c, Int64(hidden), &h, Int64(hidden))
                XCTAssertEqual(h.indices.filter { h[$0].isNaN }, [unit], "\(path) unit \(unit) h")
                XCTAssertEqual(c.indices.filter { c[$0].isNaN }, [unit], "\(path) unit \(unit) c")
                XCTAssertEqual(gates.indices.filter { gates[$0].isNaN }, [2 * hidden + unit], "\(path) unit \(unit) gates")
            }
        }
    }

    func testGRUStepKernelsMatchTheGenericSteps() {
        let (batch, hidden) = (2, 21)
        let x = values(batch * 3 * hidden, seed: 10, scale: 6), hh = values(batch * 3 * hidden, seed: 11, scale: 6)
        let bias = values(3 * hidden, seed: 12), hPrevious = values(batch * hidden, seed: 13)
        let inputBias = values(3 * hidden, seed: 17)
        let gradH = values(batch * hidden, seed: 14), dhNext = values(batch * hidden, seed: 15)
        let d = { (v: [Float]) in v.map(Double.init) }
        var referenceWork = [Double](repeating: 0, count: batch * 4 * hidden), referenceH = d(hPrevious)
        Double.gruForwardStep(batch: batch, hidden: hidden, x: d(x), xRowStride: 3 * hidden, inputBias: d(inputBias),
                              hh: d(hh), bias: d(bias),
                              hPrevious: d(hPrevious), hPreviousRowStride: hidden, work: &referenceWork,
                              workRowStride: 4 * hidden, h: &referenceH, hRowStride: hidden)
        var referenceDh = d(dhNext), referenceDx = [Double](repeating: 0, count: batch * 3 * hidden)
        var referenceDhh = referenceDx
        Double.gruBackwardStep(batch: batch, hidden: hidden, work: referenceWork, workRowStride: 4 * hidden,
                               hPrevious: d(hPrevious), hPreviousRowStride: hidden, gradH: d(gradH), gradHRowStride: hidden,
                               dh: &referenceDh, dx: &referenceDx, dxRowStride: 3 * hidden, dhh: &referenceDhh,
                               dhhRowStride: 3 * hidden)
        for path in TestedKernelPath.all {
            path.activate()
            var work = [Float](repeating: 0, count: batch * 4 * hidden), h = hPrevious
            ag_gru_forward_step(Int64(batch), Int64(hidden), x, Int64(3 * hidden), inputBias, hh, bias, hPrevious,
                                Int64(hidden),
                                &work, Int64(4 * hidden), &h, Int64(hidden))
            var dh = dhNext, dx = [Float](repeating: 0, count: batch * 3 * hidden), dhh = dx
            ag_gru_backward_step(Int64(batch), Int64(hidden), work, Int64(4 * hidden), hPrevious, Int64(hidden), gradH,
                                 Int64(hidden), &dh, &dx, Int64(3 * hidden), &dhh, Int64(3 * hidden))
            assertClose(work, referenceWork, "\(path) work")
            assertClose(h, referenceH, "\(path) h")
            assertClose(dh, referenceDh, "\(path) dh")
            assertClose(dx, referenceDx, "\(path) dx")
            assertClose(dhh, referenceDhh, "\(path) dhh")
        }
    }

    /// Within a few float32 ulps of the double-precision value (relative to 1).
    private func assertClose(_ actual: [Float], _ expected: [Double], _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 4e-7, "\(message): largest difference \(worst)", file: file, line: line)
    }
}
