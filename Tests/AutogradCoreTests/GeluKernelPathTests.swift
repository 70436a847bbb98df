import CAutogradKernels
import Foundation
import XCTest
@testable import AutogradCore

/// The single-precision exact GELU kernels (elementwise.c) on every kernel path: their polynomial
/// erf and exp against the C library's erff and expf, and the fused GELU forward and backward
/// against the same formulas evaluated in double precision (the float64 path) and with the C
/// library in single precision, including ±0, NaN, ±inf, huge and subnormal inputs.
final class GeluKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Zeros, NaN, infinities, the extremes of the float range and the edges of the
    /// polynomials' intervals (erf's split at 0.921875 and clamp at 3.92, exp's overflow and
    /// underflow thresholds), each with both signs.
    private static let specials: [Float] = {
        let magnitudes: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30, 1e-7, 0.5, 0.921875,
                                   Float(0.921875).nextDown, 0.9218751, 1, 2, 3.83, 3.92, 3.9200001, 4, 5.5, 9, 13, 26, 80,
                                   87.33, 87.34, 88.37, 88.72, 88.73, 89, 100, 103.9, 103.98, 104, 150, 1e6, 1e20,
                                   .greatestFiniteMagnitude, .infinity, .nan]
        return magnitudes.flatMap { [$0, -$0] }
    }()

    /// A dense sweep over [-14, 14] (an odd count, so the vector loops leave a tail) and the
    /// special values.
    private static let inputs: [Float] = (0...7171).map { Float(-14 + 28 * Double($0) / 7171) } + specials

    /// Runs `kernel` on `x` and returns its output.
    private func apply(_ x: [Float], _ kernel: (Int64, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { source in
            y.withUnsafeMutableBufferPointer { kernel(Int64(x.count), source.baseAddress!, $0.baseAddress!) }
        }
        return y
    }

    /// Whether `actual` is within `ulps` units in the last place of `expected` (subnormal
    /// results: of the smallest subnormal), with NaN only for NaN, and exactly equal (sign of
    /// zero included) where `expected` is zero or infinite.
    private func assertWithinUlps(_ actual: Float, _ expected: Float, _ ulps: Float, _ message: @autoclosure () -> String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        if expected.isNaN {
            XCTAssertTrue(actual.isNaN, "\(message()): \(actual), expected NaN", file: file, line: line)
        } else if expected.isInfinite || expected == 0 && actual == 0 {
            XCTAssertEqual(actual.bitPattern, expected.bitPattern, "\(message()): \(actual), expected \(expected)",
                           file: file, line: line)
        } else {
            let unit = max(expected.ulp, .leastNonzeroMagnitude)
            XCTAssertLessThanOrEqual(abs(actual - expected), ulps * unit, "\(message()): \(actual), expected \(expected)",
                                     file: file, line: line)
        }
    }

    func testErfMatchesTheCLibraryOnEveryPath() {
        for path in TestedKernelPath.all {
            path.activate()
            let x = Self.inputs
            let y = apply(x) { ag_erf($0, $1, $2) }
            for (input, value) in zip(x, y) {
                assertWithinUlps(value, Foundation.erf(input), 2, "\(path) erf(\(input))")
            }
            XCTAssertEqual(apply([0, -0.0, 10, -10, .infinity, -.infinity]) { ag_erf($0, $1, $2) }.map(\.bitPattern),
                           ([0, -0.0, 1, -1, 1, -1] as [Float]).map(\.bitPattern), "\(path)")
        }
    }

    func testExpMatchesTheCLibraryOnEveryPath() {
        for path in TestedKernelPath.all {
            path.activate()
            // exp's whole finite range: overflow above 88.72, subnormal results below -87.34.
            let x = Self.inputs + (0...4000).map { Float(-110 + 200 * Double($0) / 4000) }
            let y = apply(x) { ag_exp($0, $1, $2) }
            for (input, value) in zip(x, y) {
                assertWithinUlps(value, Foundation.exp(input), 2, "\(path) exp(\(input))")
            }
            XCTAssertEqual(apply([0, -0.0, -.infinity, .infinity, -200, 200]) { ag_exp($0, $1, $2) },
                           [1, 1, 0, .infinity, 0, .infinity], "\(path)")
        }
    }

    /// The GELU forward and backward in float32 (through ``NDArray/gelu(tanhApproximation:)``)
    /// against the float64 path on the same inputs, and against the scalar float32 formula
    /// with the C library's erff and expf. The tolerance is relative 1e-6 of the value plus
    /// the rounding of `1 + erf` in single precision (6e-8 of the cdf, times x or the
    /// upstream gradient), which the scalar formula carries too.
    func testGeluForwardAndBackwardMatchTheReferencesOnEveryPath() {
        let x = Self.inputs
        let grad = x.indices.map { Float(sin(Double($0))) * 3 }
        let input = NDArray(shape: [x.count], scalars: x)
        let upstream = NDArray(shape: [x.count], scalars: grad)
        let exactForward = input.converted(to: .float64).gelu(tanhApproximation: false).scalarsAsDoubles
        let exactBackward = input.converted(to: .float64)
            .geluBackward(upstream.converted(to: .float64), tanhApproximation: false).scalarsAsDoubles
        for path in TestedKernelPath.all {
            path.activate()
            let forward = input.gelu(tanhApproximation: false).scalars
            let backward = input.geluBackward(upstream, tanhApproximation: false).scalars
            for i in x.indices {
                let v = x[i], g = grad[i]
                let cdf = 0.5 * (1 + Foundation.erf(v * 0.70710677))
                let scalarForward = v * cdf
                let scalarBackward = g * (cdf + v * 0.3989423 * Foundation.exp(-0.5 * v * v))
                let forwardSlack = 1.5e-7 * Double(abs(v))
                let backwardSlack = 1.5e-7 * Double(abs(g)) * (1 + Double(abs(v)))
                assertClose(forward[i], exactForward[i], forwardSlack, "\(path) gelu(\(v)) against float64")
                assertClose(forward[i], Double(scalarForward), forwardSlack, "\(path) gelu(\(v)) against erff")
                assertClose(backward[i], exactBackward[i], backwardSlack, "\(path) gelu'(\(v))·\(g) against float64")
                assertClose(backward[i], Double(scalarBackward), backwardSlack, "\(path) gelu'(\(v))·\(g) against erff")
            }
            // Signed zeros pass through; infinities give what the formula gives in float64.
            let special = NDArray(shape: [4], scalars: [0, -0.0, .infinity, -.infinity]).gelu(tanhApproximation: false).scalars
            XCTAssertEqual(special[0].bitPattern, Float(0).bitPattern, "\(path)")
            XCTAssertEqual(special[1].bitPattern, Float(-0.0).bitPattern, "\(path)")
            XCTAssertEqual(special[2], .infinity, "\(path)")
            XCTAssertTrue(special[3].isNaN, "\(path): -inf·Φ(-inf) = -inf·0")
        }
    }

    /// Every SIMD path agrees with the portable one, and a large array split over two
    /// threads gives the same bits as one thread.
    func testPathsAgreeAndThreadingChangesNoBits() throws {
        let x = (0..<70_001).map { Float(-9 + 18 * Double($0) / 70_000) }
        let grad = x.indices.map { Float(cos(Double($0))) }
        let input = NDArray(shape: [x.count], scalars: x), upstream = NDArray(shape: [x.count], scalars: grad)
        var results: [[Float]] = []
        for path in TestedKernelPath.all {
            path.activate()
            var perThreads: [[Float]] = []
            for threads in [1, 2] {
                Kernels.threadCount = threads
                perThreads.append(input.gelu(tanhApproximation: false).scalars
                    + input.geluBackward(upstream, tanhApproximation: false).scalars)
            }
            XCTAssertEqual(perThreads[0].map(\.bitPattern), perThreads[1].map(\.bitPattern), "\(path)")
            results.append(perThreads[0])
        }
        guard results.count > 1 else { throw XCTSkip("this CPU has no SIMD path to compare") }
        // Each side is within the references' tolerance, so they differ by at most twice it.
        for (path, result) in zip(TestedKernelPath.all.dropFirst(), results.dropFirst()) {
            for i in results[0].indices {
                let (v, g) = (x[i % x.count], i < x.count ? 1 : grad[i - x.count])
                let slack = 2 * (1e-6 * Double(abs(result[i])) + 1.5e-7 * Double(abs(g)) * (Double(abs(v)) + (i < x.count ? 0 : 1)))
                XCTAssertLessThanOrEqual(Double(abs(results[0][i] - result[i])), slack, "\(path) x \(v)")
            }
        }
    }

    private func assertClose(_ actual: Float, _ expected: Double, _ slack: Double, _ message: @autoclosure () -> String,
                             file: StaticString = #filePath, line: UInt = #line) {
        if expected.isNaN || actual.isNaN {
            XCTAssertTrue(expected.isNaN && actual.isNaN, "\(message()): \(actual), expected \(expected)", file: file, line: line)
        } else if expected.isInfinite {
            XCTAssertEqual(Double(actual), expected, "\(message())", file: file, line: line)
        } else {
            XCTAssertLessThanOrEqual(abs(Double(actual) - expected), 1e-6 * abs(expected) + slack + 1e-44,
                                     "\(message()): \(actual), expected \(expected)", file: file, line: line)
        }
    }
}

private extension NDArray {
    /// The elements as doubles (exact for float64 arrays).
    var scalarsAsDoubles: [Double] {
        let source = contiguous().converted(to: .float64)
        return Array(UnsafeBufferPointer(start: source.rawPointer.assumingMemoryBound(to: Double.self), count: count))
    }
}
