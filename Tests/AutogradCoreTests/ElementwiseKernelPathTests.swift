import CAutogradKernels
import Foundation
import XCTest
@testable import AutogradCore

/// The float32 elementwise kernels and softmax rows of elementwise.c on every kernel path
/// this CPU runs (the AVX-512 code compiled for AVX2 included): each op against a
/// double-precision reference on lengths around every path's vector width (0, 1, 7, 15, 16,
/// 17, 33, 100) with unit and broadcast strides, nothing written past the end, the SIMD
/// paths against the portable one, and the ops and softmax through ``NDArray``.
final class ElementwiseKernelPathTests: XCTestCase {
    override func tearDown() {
        Kernels.resetPath()
        Kernels.threadCount = 0
        super.tearDown()
    }

    /// Lengths around 4, 8 and 16 lanes: empty, a lone element, partial vectors only, one
    /// whole vector, a whole one plus one, several plus a tail.
    private static let lengths = [0, 1, 7, 15, 16, 17, 33, 100]

    /// Zeros, NaN, infinities, subnormals and the edges of the polynomials (tanh's split at
    /// 0.625, exp's overflow and underflow), each with both signs.
    private static let specials: [Float] = {
        let magnitudes: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30, 1e-7, 0.5, 0.625,
                                   Float(0.625).nextDown, 1, 2, 9, 20, 44, 87.33, 88.72, 88.73, 100, 103.98, 104,
                                   1e20, .greatestFiniteMagnitude, .infinity, .nan]
        return magnitudes.flatMap { [$0, -$0] }
    }()

    /// Deterministic values in [-scale, scale).
    private static func values(_ count: Int, seed: UInt64, scale: Float = 12) -> [Float] {
        pseudoRandomFloats(count, seed: seed).map { scale * $0 }
    }

    /// An op of ag_unary_f32 with its scalar and its reference: the exact value in double
    /// precision, and how many ulp the kernel may be off (0: the correctly rounded result).
    private struct UnaryCase: Sendable {
        let name: String, code: Int32, scalar: Float, ulps: Float
        let reference: @Sendable (Double) -> Double
    }

    private static let unaryCases: [UnaryCase] = [
        UnaryCase(name: "negate", code: AG_UNARY_NEGATE, scalar: 0, ulps: 0) { -$0 },
        UnaryCase(name: "relu", code: AG_UNARY_RELU, scalar: 0, ulps: 0) { $0 > 0 ? $0 : 0 },
        UnaryCase(name: "addScalar", code: AG_UNARY_ADD_SCALAR, scalar: 0.3, ulps: 0) { $0 + Double(Float(0.3)) },
        UnaryCase(name: "multiplyScalar", code: AG_UNARY_MULTIPLY_SCALAR, scalar: -1.7, ulps: 0) { $0 * Double(Float(-1.7)) },
        UnaryCase(name: "reverseSubtractScalar", code: AG_UNARY_REVERSE_SUBTRACT_SCALAR, scalar: 2.5, ulps: 0) { 2.5 - $0 },
        UnaryCase(name: "reverseDivideScalar", code: AG_UNARY_REVERSE_DIVIDE_SCALAR, scalar: 3.1, ulps: 0) { Double(Float(3.1)) / $0 },
        UnaryCase(name: "square", code: AG_UNARY_SQUARE, scalar: 0, ulps: 0) { $0 * $0 },
        UnaryCase(name: "reciprocal", code: AG_UNARY_RECIPROCAL, scalar: 0, ulps: 0) { 1 / $0 },
        UnaryCase(name: "isPositive", code: AG_UNARY_IS_POSITIVE, scalar: 0, ulps: 0) { $0 > 0 ? 1 : 0 },
        UnaryCase(name: "abs", code: AG_UNARY_ABS, scalar: 0, ulps: 0) { Swift.abs($0) },
        UnaryCase(name: "exp", code: AG_UNARY_EXP, scalar: 0, ulps: 2) { Foundation.exp($0) },
        UnaryCase(name: "sigmoid", code: AG_UNARY_SIGMOID, scalar: 0, ulps: 4) { 1 / (1 + Foundation.exp(-$0)) },
        UnaryCase(name: "tanh", code: AG_UNARY_TANH, scalar: 0, ulps: 2) { Foundation.tanh($0) },
    ]

    /// Runs `ag_unary_f32` over `x` (stride 1) or x[0] (stride 0) for `count` elements into an
    /// output with four guard elements past the end, checks those are untouched and returns
    /// the `count` results.
    private func unary(_ op: UnaryCase, _ x: [Float], stride: Int, count: Int, _ label: String,
                       file: StaticString = #filePath, line: UInt = #line) -> [Float] {
        let guardValue = Float(bitPattern: 0x7FC0_1234)
        var y = [Float](repeating: guardValue, count: count + 4)
        XCTAssertTrue(ag_unary_f32(op.code, op.scalar, Int64(count), x, Int64(stride), &y), label, file: file, line: line)
        XCTAssertEqual(y[count...].map(\.bitPattern), [UInt32](repeating: guardValue.bitPattern, count: 4),
                       "\(label): wrote past the end", file: file, line: line)
        return Array(y[..<count])
    }

    /// Whether `actual` is within `ulps` of the double `expected` rounded to float (for results
    /// below the normal range: of the smallest normal float, absolute), with NaN only for NaN
    /// and the same bits where `ulps` is 0 or the expected value is zero or infinite.
    private func assertWithinUlps(_ actual: Float, _ expected: Double, _ ulps: Float, _ message: @autoclosure () -> String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let rounded = Float(expected)
        if rounded.isNaN {
            XCTAssertTrue(actual.isNaN, "\(message()): \(actual), expected NaN", file: file, line: line)
        } else if ulps == 0 || rounded.isInfinite || rounded == 0 && actual == 0 {
            XCTAssertEqual(actual.bitPattern, rounded.bitPattern, "\(message()): \(actual), expected \(rounded)",
                           file: file, line: line)
        } else {
            let unit = Swift.max(rounded.ulp, Float.leastNormalMagnitude)
            XCTAssertLessThanOrEqual(Swift.abs(Double(actual) - expected), Double(ulps * unit),
                                     "\(message()): \(actual), expected \(expected)", file: file, line: line)
        }
    }

    func testUnaryKernelsMatchADoublePrecisionReferenceOnEveryPath() {
        for path in TestedKernelPath.all {
            path.activate()
            for op in Self.unaryCases {
                for count in Self.lengths {
                    let x = Array((Self.specials + Self.values(count, seed: UInt64(count))).prefix(count))
                    let y = unary(op, x, stride: 1, count: count, "\(path) \(op.name) n=\(count)")
                    for (input, value) in zip(x, y) {
                        assertWithinUlps(value, op.reference(Double(input)), op.ulps, "\(path) \(op.name)(\(input)) n=\(count)")
                    }
                }
                // A broadcast input: every element is op(x[0]).
                for input: Float in [-2.5, 0.7, -0.0, .nan] {
                    let y = unary(op, [input], stride: 0, count: 33, "\(path) \(op.name) broadcast")
                    for value in y {
                        assertWithinUlps(value, op.reference(Double(input)), op.ulps, "\(path) \(op.name)(\(input)) broadcast")
                    }
                }
            }
        }
    }

    func testTranscendentalKernelsStayWithinTheirUlpBoundsOverDenseSweeps() {
        // exp over its whole finite range and beyond, sigmoid and tanh where they change.
        let sweeps: [(String, ClosedRange<Double>)] = [("exp", -110...95), ("sigmoid", -100...30), ("tanh", -12...12)]
        for path in TestedKernelPath.all {
            path.activate()
            for (name, range) in sweeps {
                let op = Self.unaryCases.first { $0.name == name }!
                let x = (0...20_001).map { Float(range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / 20_001) }
                let y = unary(op, x, stride: 1, count: x.count, "\(path) \(name) sweep")
                for (input, value) in zip(x, y) {
                    assertWithinUlps(value, op.reference(Double(input)), op.ulps, "\(path) \(name)(\(input))")
                }
            }
        }
    }

    func testBinaryKernelsAreCorrectlyRoundedWithEveryStridePairOnEveryPath() {
        let ops: [(String, Int32, (Double, Double) -> Double)] = [
            ("add", AG_BINARY_ADD, +), ("subtract", AG_BINARY_SUBTRACT, -),
            ("multiply", AG_BINARY_MULTIPLY, *), ("divide", AG_BINARY_DIVIDE, /),
        ]
        for path in TestedKernelPath.all {
            path.activate()
            for (name, code, reference) in ops {
                for count in Self.lengths {
                    // -0 first, so the broadcasts must keep its sign.
                    let a = Array(([-0.0] + Self.specials + Self.values(count, seed: 7)).prefix(count)) + [1.5]
                    let b = Array(([-0.0] + Self.values(count, seed: 9) + Self.specials.reversed()).prefix(count)) + [-0.75]
                    for (strideA, strideB) in [(1, 1), (1, 0), (0, 1), (0, 0)] {
                        let label = "\(path) \(name) n=\(count) strides (\(strideA), \(strideB))"
                        let guardValue = Float(bitPattern: 0x7FC0_4321)
                        var y = [Float](repeating: guardValue, count: count + 4)
                        XCTAssertTrue(ag_binary_f32(code, Int64(count), a, Int64(strideA), b, Int64(strideB), &y), label)
                        XCTAssertEqual(y[count...].map(\.bitPattern), [UInt32](repeating: guardValue.bitPattern, count: 4),
                                       "\(label): wrote past the end")
                        for i in 0..<count {
                            let (x, z) = (a[i * strideA], b[i * strideB])
                            // + - × ÷ of two floats in double precision, rounded to float, is
                            // the correctly rounded float result.
                            assertWithinUlps(y[i], reference(Double(x), Double(z)), 0, "\(label): \(x), \(z)")
                        }
                    }
                }
            }
        }
    }

    func testAddScaledRoundsTheProductThenTheSumOnEveryPathAndWritesNothingPastTheEnd() {
        for path in TestedKernelPath.all {
            path.activate()
            for count in Self.lengths {
                let x = Self.values(count, seed: 13), start = Self.values(count, seed: 14)
                let guardValue = Float(bitPattern: 0x7FC0_4321)
                var y = start + [Float](repeating: guardValue, count: 4)
                ag_add_scaled_f32(Int64(count), -0.37, x, &y)
                let label = "\(path) add_scaled n=\(count)"
                XCTAssertEqual(y[count...].map(\.bitPattern), [UInt32](repeating: guardValue.bitPattern, count: 4),
                               "\(label): wrote past the end")
                // No fused multiply-add: the bits of the separate ops (and of the fused Adam update).
                XCTAssertEqual(y[..<count].map(\.bitPattern), zip(start, x).map { ($0 + -0.37 * $1).bitPattern }, label)
                var same = start
                same.withUnsafeMutableBufferPointer { ag_add_scaled_f32(Int64(count), 1, $0.baseAddress, $0.baseAddress) }
                XCTAssertEqual(same, start.map { $0 + $0 }, "\(label): y += y")
            }
        }
    }

    /// The optimizers' in-place updates split a long array over the threads and give the
    /// bits of one thread.
    func testInPlaceUpdatesOnThreadsEqualOneThread() {
        let count = 100_003
        let gradient = NDArray(shape: [count], scalars: Self.values(count, seed: 15))
        func update(threads: Int) -> [Float] {
            Kernels.threadCount = threads
            let parameter = NDArray(shape: [count], scalars: Self.values(count, seed: 16))
            XCTAssertTrue(parameter.scaleInPlace(by: 0.9))
            XCTAssertTrue(parameter.addScaledInPlace(gradient, scale: -0.01))
            return parameter.scalars
        }
        let single = update(threads: 1)
        XCTAssertEqual(single.map(\.bitPattern), update(threads: 2).map(\.bitPattern))
        let expected = zip(Self.values(count, seed: 16), gradient.scalars).map { $0 * 0.9 + -0.01 * $1 }
        XCTAssertEqual(single.map(\.bitPattern), expected.map(\.bitPattern))
    }

    func testUnknownOpsAndOtherStridesAreRefused() {
        var y = [Float](repeating: 5, count: 4)
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        XCTAssertFalse(ag_unary_f32(AG_UNARY_OP_COUNT, 0, 4, x, 1, &y))
        XCTAssertFalse(ag_unary_f32(AG_UNARY_EXP, 0, 4, x, 2, &y))
        XCTAssertFalse(ag_binary_f32(AG_BINARY_OP_COUNT, 4, x, 1, x, 1, &y))
        XCTAssertFalse(ag_binary_f32(AG_BINARY_ADD, 4, x, -1, x, 1, &y))
        XCTAssertEqual(y, [5, 5, 5, 5])
    }

    /// Every SIMD path gives the portable path's results: the same bits for the exact ops,
    /// within the two bounds for the polynomial ones; AVX2 and the AVX-512 code on AVX2
    /// (the same instructions, a different width and tail) agree bit for bit.
    func testSIMDPathsAgreeWithThePortableOne() {
        let x = Self.specials + Self.values(1001, seed: 3, scale: 30)
        func run(_ path: TestedKernelPath) -> [[Float]] {
            path.activate()
            return Self.unaryCases.map { unary($0, x, stride: 1, count: x.count, "\(path) \($0.name)") }
        }
        let portable = run(.portable)
        var avx2: [[Float]]?
        for path in TestedKernelPath.all where path != .portable {
            let results = run(path)
            for (op, (values, expected)) in zip(Self.unaryCases, zip(results, portable)) {
                for (i, (value, reference)) in zip(values, expected).enumerated() {
                    assertWithinUlps(value, Double(reference), 2 * op.ulps, "\(path) \(op.name)(\(x[i])) against portable")
                }
            }
            if path == .path(.avx2) { avx2 = results }
            if path == .avx512OnAVX2, let avx2 {
                XCTAssertEqual(results.map { $0.map(\.bitPattern) }, avx2.map { $0.map(\.bitPattern) }, "avx512-on-avx2 against avx2")
            }
        }
    }

    /// The NDArray ops reach the kernels for contiguous arrays and broadcast rows (and, for
    /// exp, sigmoid and tanh, gathered strided rows), within the kernels' bounds.
    func testNDArrayOpsUseTheKernelsForContiguousAndBroadcastRows() throws {
        let values = Self.values(6 * 17, seed: 11, scale: 4)
        let matrix = NDArray(shape: [6, 17], scalars: values)
        let transposed = try NDArray(shape: [17, 6], scalars: values).transposed(0, 1)   // strided rows
        let row = NDArray(shape: [17], scalars: Array(values.prefix(17)))
        for path in TestedKernelPath.all {
            path.activate()
            for (op, reference) in [(UnaryOp.exp, Self.unaryCases[10]), (.tanh, Self.unaryCases[12]),
                                    (.sigmoid, Self.unaryCases[11]), (.relu, Self.unaryCases[1])] {
                for input in [matrix, transposed] {
                    // Strided rows are gathered and mapped by the same kernels.
                    let output = input.map(op).scalars, inputs = input.contiguous().scalars
                    for (x, y) in zip(inputs, output) {
                        assertWithinUlps(y, reference.reference(Double(x)), reference.ulps, "\(path) \(op)(\(x))")
                    }
                }
            }
            let sum = try NDArray.zip(.add, matrix, row, name: "add").scalars
            let quotient = try NDArray.zip(.divide, row, matrix, name: "div").scalars
            for i in 0..<values.count {
                XCTAssertEqual(sum[i], values[i] + values[i % 17], "\(path) add")
                XCTAssertEqual(quotient[i], values[i % 17] / values[i], "\(path) divide")
            }
        }
    }

    // MARK: Softmax

    /// Softmax or log-softmax of each row in double precision.
    private func softmaxReference(_ row: [Float], logarithm: Bool) -> [Double] {
        let x = row.map(Double.init)
        var maximum = x.filter { !$0.isNaN }.max() ?? 0
        if maximum == -.infinity { maximum = 0 }
        let total = x.reduce(0) { $0 + Foundation.exp($1 - maximum) }
        return x.map { logarithm ? $0 - maximum - Foundation.log(total) : Foundation.exp($0 - maximum) / total }
    }

    /// Softmax within 6e-7 relative (exp's 2 ulp, the float sum and the division) plus the
    /// rounding of x - max in single precision (|x - max|·2⁻²⁴, which e^(x - max) turns into
    /// a relative error); log-softmax within 2e-7 of |x - max| + ln Σ plus 1e-7 absolute.
    private func assertSoftmaxClose(_ actual: Float, _ expected: Double, x: Float, maximum: Float, length: Int, logarithm: Bool,
                                    _ message: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
        if expected.isNaN || expected.isInfinite {
            XCTAssertEqual(actual.isNaN ? 0 : actual.bitPattern, expected.isNaN ? 0 : Float(expected).bitPattern,
                           "\(message()): \(actual), expected \(expected)", file: file, line: line)
            return
        }
        let shift = Swift.abs(Double(x) - Double(maximum == -.infinity ? 0 : maximum))
        let bound = logarithm
            ? 2e-7 * (Swift.abs(expected) + 2 * Foundation.log(Double(length) + 1)) + 1e-7
            : (6e-7 + 6e-8 * (shift.isFinite ? shift : 0)) * Swift.abs(expected) + 1e-40
        XCTAssertLessThanOrEqual(Swift.abs(Double(actual) - expected), bound, "\(message()): \(actual), expected \(expected)",
                                 file: file, line: line)
    }

    func testSoftmaxRowsMatchADoublePrecisionReferenceOnEveryPath() {
        for path in TestedKernelPath.all {
            path.activate()
            for length in Self.lengths + [1000] {
                let rows = 3
                var x = Self.values(rows * length, seed: UInt64(length), scale: 20)
                if length > 0 {
                    x[length - 1] = 60            // a large maximum in the tail of row 0
                    x[length] = -.infinity        // row 1 starts with -inf
                }
                for logarithm in [false, true] {
                    let label = "\(path) \(logarithm ? "log_softmax" : "softmax") n=\(length)"
                    let guardValue = Float(bitPattern: 0x7FC0_5555)
                    var y = [Float](repeating: guardValue, count: rows * length + 4)
                    ag_softmax_rows(Int64(rows), Int64(length), x, &y, logarithm)
                    XCTAssertEqual(y[(rows * length)...].map(\.bitPattern), [UInt32](repeating: guardValue.bitPattern, count: 4),
                                   "\(label): wrote past the end")
                    for r in 0..<rows {
                        let row = Array(x[r * length..<(r + 1) * length])
                        let maximum = row.max() ?? 0
                        for (i, expected) in softmaxReference(row, logarithm: logarithm).enumerated() {
                            assertSoftmaxClose(y[r * length + i], expected, x: row[i], maximum: maximum, length: length,
                                               logarithm: logarithm,
                                               "\(label) row \(r) [\(i)] = \(row[i])")
                        }
                    }
                }
            }
        }
    }

    func testSoftmaxSpecialRowsOnEveryPath() {
        for path in TestedKernelPath.all {
            path.activate()
            // All -inf: max taken as 0, every e^x 0, 0/0. A NaN or +inf poisons its row.
            let rows: [[Float]] = [[-.infinity, -.infinity, -.infinity], [1, .nan, 2], [1, .infinity, 2], [3e38, -3e38, 3e38]]
            for row in rows {
                for logarithm in [false, true] {
                    var y = [Float](repeating: 0, count: row.count)
                    ag_softmax_rows(1, Int64(row.count), row, &y, logarithm)
                    for (i, expected) in softmaxReference(row, logarithm: logarithm).enumerated() {
                        if expected.isNaN {
                            XCTAssertTrue(y[i].isNaN, "\(path) \(row) log=\(logarithm) [\(i)]: \(y[i])")
                        } else if Float(expected).isInfinite {
                            XCTAssertEqual(y[i], Float(expected), "\(path) \(row) log=\(logarithm) [\(i)]")
                        } else {
                            XCTAssertEqual(Double(y[i]), expected, accuracy: 1e-6 * Swift.max(1, Swift.abs(expected)),
                                           "\(path) \(row) log=\(logarithm) [\(i)]")
                        }
                    }
                }
            }
        }
    }

    /// ``NDArray/softmax(dim:logarithm:)`` on the last and on an inner dimension, and a large
    /// array split over two threads gives one thread's bits.
    func testNDArraySoftmaxOnEveryPathAndThreadsChangeNoBits() {
        let shape = [5, 7, 19]
        let values = Self.values(shape.reduce(1, *), seed: 21, scale: 8)
        let array = NDArray(shape: shape, scalars: values)
        let large = NDArray(shape: [300, 257], scalars: Self.values(300 * 257, seed: 22, scale: 8))
        for path in TestedKernelPath.all {
            path.activate()
            for dim in [2, 1] {
                for logarithm in [false, true] {
                    let result = array.softmax(dim: dim, logarithm: logarithm)
                    let expected = array.converted(to: .float64).softmax(dim: dim, logarithm: logarithm).converted(to: .float32)
                    for (i, (y, z)) in zip(result.scalars, expected.scalars).enumerated() {
                        let bound: Float = logarithm ? 2e-6 * Swift.max(1, Swift.abs(z)) : 5e-7 * Swift.abs(z) + 1e-30
                        XCTAssertLessThanOrEqual(Swift.abs(y - z), bound, "\(path) dim \(dim) log=\(logarithm) [\(i)]")
                    }
                }
            }
            for logarithm in [false, true] {
                Kernels.threadCount = 1
                let single = large.softmax(dim: 1, logarithm: logarithm).scalars
                Kernels.threadCount = 2
                let threaded = large.softmax(dim: 1, logarithm: logarithm).scalars
                XCTAssertEqual(single.map(\.bitPattern), threaded.map(\.bitPattern), "\(path) log=\(logarithm)")
                Kernels.threadCount = 0
            }
        }
    }
}
