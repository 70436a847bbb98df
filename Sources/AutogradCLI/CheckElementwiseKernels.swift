import CAutogradKernels
import Foundation

/// The elementwise checks of `autograd check-kernels`: the float32 kernels of elementwise.c
/// on the kernel path in use against double-precision references, on lengths around every
/// path's vector width and with unit and broadcast strides. Each returns the largest error
/// in units of its bound, so 1 or less passes (0 for exact results).
enum ElementwiseCheck {
    /// Lengths around 4, 8 and 16 lanes, and one long enough for many whole vectors.
    static let lengths = [0, 1, 7, 15, 16, 17, 33, 100, 1001]

    /// Zeros, infinities, NaN, subnormals and the edges of the exp and tanh polynomials,
    /// each with both signs, then deterministic values in [-scale, scale).
    static func inputs(_ count: Int, seed: UInt64, scale: Double = 30) -> [Float] {
        let magnitudes: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-7, 0.625, 1, 20, 88.72, 88.73,
                                   104, .greatestFiniteMagnitude, .infinity, .nan]
        let specials = magnitudes.flatMap { [$0, -$0] }
        let values = GemmProblem.values(count, seed: seed).map { Float($0 * scale) }
        return Array((specials + values).prefix(count))
    }

    /// |actual - expected| in units of `ulps` ulp of the expected value rounded to float (of the
    /// smallest normal float below the normal range); 0 when both are the same NaN or
    /// infinity, infinite when only one is. With `ulps` 0, 0 for the same bits, else infinite.
    static func error(_ actual: Float, _ expected: Double, ulps: Double) -> Double {
        let rounded = Float(expected)
        if rounded.isNaN || actual.isNaN { return rounded.isNaN && actual.isNaN ? 0 : .infinity }
        if ulps == 0 || rounded.isInfinite || actual.isInfinite {
            return actual.bitPattern == rounded.bitPattern || actual == 0 && rounded == 0 && ulps > 0 ? 0 : .infinity
        }
        return abs(Double(actual) - expected) / (ulps * Double(max(rounded.ulp, .leastNormalMagnitude)))
    }

    /// ag_unary_f32's ops with their scalars, references and bounds in ulp.
    static let unaryOps: [(code: Int32, scalar: Float, ulps: Double, reference: @Sendable (Double) -> Double)] = [
        (AG_UNARY_NEGATE, 0, 0, { -$0 }), (AG_UNARY_RELU, 0, 0, { $0 > 0 ? $0 : 0 }),
        (AG_UNARY_ADD_SCALAR, 0.3, 0, { $0 + Double(Float(0.3)) }),
        (AG_UNARY_MULTIPLY_SCALAR, -1.7, 0, { $0 * Double(Float(-1.7)) }),
        (AG_UNARY_REVERSE_SUBTRACT_SCALAR, 2.5, 0, { 2.5 - $0 }),
        (AG_UNARY_REVERSE_DIVIDE_SCALAR, 3.1, 0, { Double(Float(3.1)) / $0 }),
        (AG_UNARY_SQUARE, 0, 0, { $0 * $0 }), (AG_UNARY_RECIPROCAL, 0, 0, { 1 / $0 }),
        (AG_UNARY_IS_POSITIVE, 0, 0, { $0 > 0 ? 1 : 0 }), (AG_UNARY_ABS, 0, 0, { abs($0) }),
        (AG_UNARY_EXP, 0, 2, { Foundation.exp($0) }), (AG_UNARY_SIGMOID, 0, 4, { 1 / (1 + Foundation.exp(-$0)) }),
        (AG_UNARY_TANH, 0, 2, { Foundation.tanh($0) }),
    ]

    static func unary() -> Double {
        var worst = 0.0
        for op in unaryOps {
            for count in lengths {
                let x = inputs(count, seed: UInt64(count) + 1)
                for stride in [1, 0] where stride == 1 || count > 0 {
                    var y = [Float](repeating: .nan, count: count)
                    guard ag_unary_f32(op.code, op.scalar, Int64(count), x, Int64(stride), &y) else { return .infinity }
                    for i in 0..<count {
                        worst = max(worst, error(y[i], op.reference(Double(x[i * stride])), ulps: op.ulps))
                    }
                }
            }
        }
        return worst
    }

    static func binary() -> Double {
        let ops: [(Int32, (Double, Double) -> Double)] = [
            (AG_BINARY_ADD, +), (AG_BINARY_SUBTRACT, -), (AG_BINARY_MULTIPLY, *), (AG_BINARY_DIVIDE, /),
        ]
        var worst = 0.0
        for (code, reference) in ops {
            for count in lengths where count > 0 {
                let a = [-0.0] + inputs(count, seed: 5), b = [-0.0] + inputs(count, seed: 6).reversed()
                for (strideA, strideB) in [(1, 1), (1, 0), (0, 1), (0, 0)] {
                    var y = [Float](repeating: .nan, count: count)
                    guard ag_binary_f32(code, Int64(count), a, Int64(strideA), b, Int64(strideB), &y) else { return .infinity }
                    for i in 0..<count {
                        // The operation in double precision rounded to float is the correctly rounded result.
                        worst = max(worst, error(y[i], reference(Double(a[i * strideA]), Double(b[i * strideB])), ulps: 0))
                    }
                }
            }
        }
        return worst
    }

    /// erf within 2 ulp of the C library's double-precision erf, and GELU x·Φ(x) and its
    /// gradient Φ(x) + x·φ(x) against double precision within 1e-6 relative plus the
    /// rounding of 1 + erf in float (6e-8 of the result's scale, times |x| + 1).
    static func gelu() -> Double {
        var worst = 0.0
        for count in lengths {
            let x = inputs(count, seed: UInt64(count) + 11, scale: 6)
            var values = [Float](repeating: .nan, count: count), slopes = values, errorFunction = values
            let ones = [Float](repeating: 1, count: count)
            ag_erf(Int64(count), x, &errorFunction)
            ag_gelu_forward(Int64(count), x, &values)
            ag_gelu_backward(Int64(count), x, ones, &slopes)
            for i in 0..<count where x[i].isFinite {
                let v = Double(x[i])
                worst = max(worst, error(errorFunction[i], Foundation.erf(v), ulps: 2))
                let cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
                let slope = cdf + v * Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
                let bound = { (expected: Double) in 1e-6 * abs(expected) + 6e-8 * (abs(v) + 1) + 1e-40 }
                worst = max(worst, abs(Double(values[i]) - v * cdf) / bound(v * cdf))
                worst = max(worst, abs(Double(slopes[i]) - slope) / bound(slope))
            }
        }
        return worst
    }

    /// `y += s·x` (ag_add_scaled_f32) against the product rounded to float and then the sum:
    /// the same bits, or an infinite error.
    static func addScaled() -> Double {
        var worst = 0.0
        for count in lengths {
            let x = inputs(count, seed: UInt64(count) + 13), start = inputs(count, seed: UInt64(count) + 14).reversed()
            var y = Array(start)
            ag_add_scaled_f32(Int64(count), -0.37, x, &y)
            for (i, (before, value)) in zip(start, x).enumerated() {
                worst = max(worst, error(y[i], Double(before + -0.37 * value), ulps: 0))
            }
        }
        return worst
    }

    /// Softmax and log-softmax of three rows per length (one with a large maximum in its last
    /// element, one starting with -inf), and 300 rows of 257 (split over the threads), against
    /// double precision: softmax within 6e-7 relative plus x - max's rounding (|x - max|·6e-8
    /// relative), log-softmax within 2e-7 of |result| + 2 ln(length + 1), plus 1e-7.
    static func softmax() -> Double {
        var worst = 0.0
        for (rows, length) in lengths.map({ (3, $0) }) + [(300, 257)] {
            var x = GemmProblem.values(rows * length, seed: UInt64(length) + 9).map { Float($0 * 20) }
            if length > 0 {
                x[length - 1] = 60
                x[length] = -.infinity
            }
            for logarithm in [false, true] {
                var y = [Float](repeating: .nan, count: rows * length)
                ag_softmax_rows(Int64(rows), Int64(length), x, &y, logarithm)
                for r in 0..<rows {
                    let row = x[r * length..<(r + 1) * length].map(Double.init)
                    var maximum = row.max() ?? 0
                    if maximum == -.infinity { maximum = 0 }   // as the kernel: an all -inf row gives NaN
                    let total = row.reduce(0) { $0 + Foundation.exp($1 - maximum) }
                    for (i, value) in row.enumerated() {
                        let actual = Double(y[r * length + i])
                        let expected = logarithm ? value - maximum - Foundation.log(total) : Foundation.exp(value - maximum) / total
                        if !expected.isFinite {
                            worst = max(worst, actual == expected || actual.isNaN && expected.isNaN ? 0 : .infinity)
                            continue
                        }
                        let shift = value.isFinite ? abs(value - maximum) : 0
                        let bound = logarithm
                            ? 2e-7 * (abs(expected) + 2 * Foundation.log(Double(length) + 1)) + 1e-7
                            : (6e-7 + 6e-8 * shift) * abs(expected) + 1e-40
                        worst = max(worst, actual.isNaN ? .infinity : abs(actual - expected) / bound)
                    }
                }
            }
        }
        return worst
    }
}
