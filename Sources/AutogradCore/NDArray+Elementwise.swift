import Foundation

/// An elementwise function of one array, possibly with a scalar parameter.
public enum UnaryOp: Sendable, Equatable {
    case negate, exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu
    /// -1, 0 or 1.
    case sign
    /// 1 / x.
    case reciprocal
    /// The error function, erf(x) = 2/√π ∫₀ˣ e^(-t²) dt.
    case erf
    /// x + s.
    case addScalar(Double)
    /// x * s.
    case multiplyScalar(Double)
    /// s - x.
    case reverseSubtractScalar(Double)
    /// s / x.
    case reverseDivideScalar(Double)
    /// x ** s.
    case power(Double)
    /// s ** x.
    case reversePower(Double)
    /// x limited to `[min, max]`; either bound may be absent.
    case clamp(min: Double?, max: Double?)
    /// 1 where `min < x < max` (absent bounds always hold), else 0: clamp's gradient mask,
    /// 0 on a bound as in PyTorch 2.15 (the minimum-norm subgradient).
    case insideRange(min: Double?, max: Double?)
    /// 1 where x > 0, else 0.
    case isPositive
    // Math functions.
    /// ln(1 + x), accurate near 0.
    case log1p
    /// eˣ - 1, accurate near 0.
    case expm1
    /// 1 / √x.
    case rsqrt
    /// The tangent (radians).
    case tan
    /// x · sigmoid(x) (SiLU, swish).
    case silu
    /// ln(1 + e^(βx)) / β, and x itself where βx > threshold.
    case softplus(beta: Double, threshold: Double)
    /// Rounding down, up, half to even, and toward zero.
    case floor, ceil, round, trunc
    /// Hyperbolic sine and cosine.
    case sinh, cosh
    /// Inverse sine, cosine and tangent.
    case asin, acos, atan
    /// x mod s with the sign of s (Python's `%`, `torch.remainder`).
    case remainder(Double)
    /// x mod s with the sign of x (C's `fmod`, `torch.fmod`).
    case fmod(Double)
    /// NaN, +∞ and -∞ replaced by the given values (rounded to the element type).
    case nanToNum(nan: Double, positiveInfinity: Double, negativeInfinity: Double)
    /// 1 where x is finite, else 0.
    case isFinite
}

/// An elementwise function of two broadcast arrays.
public enum BinaryOp: Sendable, Equatable {
    case add, subtract, multiply, divide, power, maximum, minimum
    /// 1 where a > b, else 0.
    case greater
    /// 1 where a == b, else 0.
    case equal
    /// a mod b with the sign of b (`torch.remainder`).
    case remainder
    /// a mod b with the sign of a (`torch.fmod`).
    case fmod
    /// a + w · (b - a), computed as PyTorch does (from the nearer end).
    case lerp(weight: Double)
}

/// The floating-point element types the elementwise ops compute in: `Float` (float32,
/// and float16/bfloat16 widened) and `Double` (float64).
public protocol FloatingElement: BinaryFloatingPoint {
    /// eˣ.
    static func exp(_ x: Self) -> Self
    /// The natural logarithm.
    static func log(_ x: Self) -> Self
    /// The sine.
    static func sin(_ x: Self) -> Self
    /// The cosine.
    static func cos(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// The error function.
    static func erf(_ x: Self) -> Self
    /// `base` raised to `exponent`.
    static func pow(_ base: Self, _ exponent: Self) -> Self
    /// ln(1 + x).
    static func log1p(_ x: Self) -> Self
    /// eˣ - 1.
    static func expm1(_ x: Self) -> Self
    /// The tangent.
    static func tan(_ x: Self) -> Self
    /// The hyperbolic sine.
    static func sinh(_ x: Self) -> Self
    /// The hyperbolic cosine.
    static func cosh(_ x: Self) -> Self
    /// The inverse sine.
    static func asin(_ x: Self) -> Self
    /// The inverse cosine.
    static func acos(_ x: Self) -> Self
    /// The inverse tangent.
    static func atan(_ x: Self) -> Self
    /// The remainder of x / y with the sign of x (C's `fmod`).
    static func fmod(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatingElement {
    /// eˣ.
    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    /// The natural logarithm.
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.log(x) }
    /// The sine.
    @inline(__always) public static func sin(_ x: Float) -> Float { Foundation.sin(x) }
    /// The cosine.
    @inline(__always) public static func cos(_ x: Float) -> Float { Foundation.cos(x) }
    /// The hyperbolic tangent.
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    /// The error function.
    @inline(__always) public static func erf(_ x: Float) -> Float { Foundation.erf(x) }
    /// `base` raised to `exponent`.
    @inline(__always) public static func pow(_ base: Float, _ exponent: Float) -> Float { Foundation.pow(base, exponent) }
    /// ln(1 + x).
    @inline(__always) public static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
    /// eˣ - 1.
    @inline(__always) public static func expm1(_ x: Float) -> Float { Foundation.expm1(x) }
    /// The tangent.
    @inline(__always) public static func tan(_ x: Float) -> Float { Foundation.tan(x) }
    /// The hyperbolic sine.
    @inline(__always) public static func sinh(_ x: Float) -> Float { Foundation.sinh(x) }
    /// The hyperbolic cosine.
    @inline(__always) public static func cosh(_ x: Float) -> Float { Foundation.cosh(x) }
    /// The inverse sine.
    @inline(__always) public static func asin(_ x: Float) -> Float { Foundation.asin(x) }
    /// The inverse cosine.
    @inline(__always) public static func acos(_ x: Float) -> Float { Foundation.acos(x) }
    /// The inverse tangent.
    @inline(__always) public static func atan(_ x: Float) -> Float { Foundation.atan(x) }
    /// The remainder of x / y with the sign of x.
    @inline(__always) public static func fmod(_ x: Float, _ y: Float) -> Float { Foundation.fmod(x, y) }
}

extension Double: FloatingElement {
    /// eˣ.
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    /// The natural logarithm.
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    /// The sine.
    @inline(__always) public static func sin(_ x: Double) -> Double { Foundation.sin(x) }
    /// The cosine.
    @inline(__always) public static func cos(_ x: Double) -> Double { Foundation.cos(x) }
    /// The hyperbolic tangent.
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    /// The error function.
    @inline(__always) public static func erf(_ x: Double) -> Double { Foundation.erf(x) }
    /// `base` raised to `exponent`.
    @inline(__always) public static func pow(_ base: Double, _ exponent: Double) -> Double { Foundation.pow(base, exponent) }
    /// ln(1 + x).
    @inline(__always) public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    /// eˣ - 1.
    @inline(__always) public static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
    /// The tangent.
    @inline(__always) public static func tan(_ x: Double) -> Double { Foundation.tan(x) }
    /// The hyperbolic sine.
    @inline(__always) public static func sinh(_ x: Double) -> Double { Foundation.sinh(x) }
    /// The hyperbolic cosine.
    @inline(__always) public static func cosh(_ x: Double) -> Double { Foundation.cosh(x) }
    /// The inverse sine.
    @inline(__always) public static func asin(_ x: Double) -> Double { Foundation.asin(x) }
    /// The inverse cosine.
    @inline(__always) public static func acos(_ x: Double) -> Double { Foundation.acos(x) }
    /// The inverse tangent.
    @inline(__always) public static func atan(_ x: Double) -> Double { Foundation.atan(x) }
    /// The remainder of x / y with the sign of x.
    @inline(__always) public static func fmod(_ x: Double, _ y: Double) -> Double { Foundation.fmod(x, y) }
}

extension UnaryOp {
    /// The function applied to one element.
    @inline(__always)
    func apply<T: FloatingElement>(_ x: T) -> T {
        switch self {
        case .negate: return -x
        case .exp: return T.exp(x)
        case .log: return T.log(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sin: return T.sin(x)
        case .cos: return T.cos(x)
        case .tanh: return T.tanh(x)
        case .sigmoid: return 1 / (1 + T.exp(-x))
        case .relu: return x > 0 ? x : 0
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .reciprocal: return 1 / x
        case .erf: return T.erf(x)
        case .addScalar(let s): return x + T(s)
        case .multiplyScalar(let s): return x * T(s)
        case .reverseSubtractScalar(let s): return T(s) - x
        case .reverseDivideScalar(let s): return T(s) / x
        case .power(let s): return elementPower(x, T(s))
        case .reversePower(let s): return elementPower(T(s), x)
        case .clamp(let low, let high):
            var y = x
            if let low { y = Swift.max(y, T(low)) }
            if let high { y = Swift.min(y, T(high)) }
            return x.isNaN ? x : y
        case .insideRange(let low, let high):
            return (low.map { x > T($0) } ?? true) && (high.map { x < T($0) } ?? true) ? 1 : 0
        case .isPositive: return x > 0 ? 1 : 0
        case .log1p: return T.log1p(x)
        case .expm1: return T.expm1(x)
        case .rsqrt: return 1 / x.squareRoot()
        case .tan: return T.tan(x)
        case .silu: return x / (1 + T.exp(-x))
        case .softplus(let beta, let threshold):
            let scaled = x * T(beta)
            return scaled > T(threshold) ? x : T.log1p(T.exp(scaled)) / T(beta)
        case .floor: return x.rounded(.down)
        case .ceil: return x.rounded(.up)
        case .round: return x.rounded(.toNearestOrEven)
        case .trunc: return x.rounded(.towardZero)
        case .sinh: return T.sinh(x)
        case .cosh: return T.cosh(x)
        case .asin: return T.asin(x)
        case .acos: return T.acos(x)
        case .atan: return T.atan(x)
        case .remainder(let s): return floatingRemainder(x, T(s))
        case .fmod(let s): return T.fmod(x, T(s))
        case .nanToNum(let nan, let positive, let negative):
            if x.isNaN { return T(nan) }
            if x == .infinity { return T(positive) }
            return x == -.infinity ? T(negative) : x
        case .isFinite: return x.isFinite ? 1 : 0
        }
    }

    /// Whether the op maps integers to integers (so an integer array keeps its dtype, as
    /// in PyTorch); the others compute integer input in float32.
    var keepsIntegers: Bool {
        switch self {
        case .negate, .abs, .relu, .sign, .isPositive, .floor, .ceil, .round, .trunc, .isFinite: return true
        default: return false
        }
    }

    /// The function applied to one integer, for the ops that ``keepsIntegers``.
    @inline(__always)
    func apply(integer x: Int64) -> Int64 {
        switch self {
        case .negate: return 0 &- x
        case .abs: return x < 0 ? 0 &- x : x
        case .relu: return x > 0 ? x : 0
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .floor, .ceil, .round, .trunc: return x
        case .isFinite: return 1
        default: return x > 0 ? 1 : 0
        }
    }
}

extension BinaryOp {
    /// The function applied to one pair of elements.
    @inline(__always)
    func apply<T: FloatingElement>(_ a: T, _ b: T) -> T {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return elementPower(a, b)
        case .maximum: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .minimum: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .greater: return a > b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .remainder: return floatingRemainder(a, b)
        case .fmod: return T.fmod(a, b)
        case .lerp(let w):
            let weight = T(w), difference = b - a
            return Swift.abs(weight) < 0.5 ? a + weight * difference : b - difference * (1 - weight)
        }
    }

    /// The function applied to one pair of integers (wrapping on overflow, as C integers
    /// do; division rounds toward zero and a zero divisor stops with PyTorch's message).
    @inline(__always)
    func apply(integers a: Int64, _ b: Int64) -> Int64 {
        switch self {
        case .add: return a &+ b
        case .subtract: return a &- b
        case .multiply: return a &* b
        case .divide:
            checkUsage(b != 0, "ZeroDivisionError")
            return a.dividedReportingOverflow(by: b).partialValue
        case .power:
            checkUsage(b >= 0 || a == 1 || a == -1, "Integers to negative integer powers are not allowed.")
            if b < 0 { return a == 1 || b & 1 == 0 ? 1 : -1 }
            var result: Int64 = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 { result = result &* base }
                base = base &* base
                exponent >>= 1
            }
            return result
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .greater: return a > b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .remainder:
            checkUsage(b != 0, "ZeroDivisionError")
            let r = a.remainderReportingOverflow(dividingBy: b).partialValue
            return r != 0 && (r < 0) != (b < 0) ? r &+ b : r
        case .fmod:
            checkUsage(b != 0, "ZeroDivisionError")
            return a.remainderReportingOverflow(dividingBy: b).partialValue
        case .lerp(let w):
            // PyTorch has no integer lerp; the Tensor layer refuses integers first.
            return Int64((Double(a) + w * Double(b - a)).rounded(.towardZero))
        }
    }
}

/// `a mod b` with the sign of `b`, as PyTorch's CPU kernel computes it: C's `fmod`, moved
/// by `b` when the two signs differ.
@inline(__always)
func floatingRemainder<T: FloatingElement>(_ a: T, _ b: T) -> T {
    let r = T.fmod(a, b)
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}

/// `base ** exponent` with the exact fast cases PyTorch uses for small integer exponents.
@inline(__always)
func elementPower<T: FloatingElement>(_ base: T, _ exponent: T) -> T {
    switch exponent {
    case 1: return base
    case 2: return base * base
    case 3: return base * base * base
    case 0.5: return base.squareRoot()
    case -1: return 1 / base
    default: return T.pow(base, exponent)
    }
}

extension NDArray {
    /// Applies `op` to every element; the result is a new contiguous array.
    public func map(_ op: UnaryOp) -> NDArray {
        guard dtype == .float32 else { return mapAnyDType(op) }
        let result = NDArray(uninitialized: shape)
        let out = result.storage.base
        if layout.isContiguous {
            // One specialised (and, where it can be, vectorised) loop per op.
            let input = pointer
            forEachChunk(count) { start, length in applyUnary(op, input + start, 1, out + start, length) }
            return result
        }
        let input = storage.base
        let length = layout.rowLength, inputStride = layout.rowStride
        var written = 0
        forEachRow(shape: shape, layout.strides, layout.offset, layout.strides, 0, layout.strides, 0) { p, _, _ in
            applyUnary(op, input + p, inputStride, out + written, length)
            written += length
        }
        return result
    }

    /// Applies `op` to `lhs` and `rhs` broadcast together; `name` is the op named in a shape error.
    public static func zip(_ op: BinaryOp, _ lhs: NDArray, _ rhs: NDArray, name: String) throws(ShapeError) -> NDArray {
        let sameShape = lhs.shape == rhs.shape
        let shape = sameShape ? lhs.shape : try broadcastShapes(lhs.shape, rhs.shape, op: name)
        guard lhs.dtype == .float32 && rhs.dtype == .float32 else {
            return zipAnyDType(op, lhs, rhs, shape: shape, resultType: resultType(of: op, lhs, rhs))
        }
        let result = NDArray(uninitialized: shape)
        let out = result.storage.base
        if sameShape && lhs.layout.isContiguous && rhs.layout.isContiguous {
            let a = lhs.pointer, b = rhs.pointer
            forEachChunk(result.count) { start, length in applyBinary(op, a + start, 1, b + start, 1, out + start, length) }
            return result
        }
        let left = lhs.layout.broadcast(to: shape), right = rhs.layout.broadcast(to: shape)
        let a = lhs.storage.base, b = rhs.storage.base
        let length = result.layout.rowLength
        let strideA = left.rowStride, strideB = right.rowStride
        forEachRow(
            shape: shape, left.strides, left.offset, right.strides, right.offset, result.layout.strides, 0
        ) { pa, pb, po in
            applyBinary(op, a + pa, strideA, b + pb, strideB, out + po, length)
        }
        return result
    }
}
