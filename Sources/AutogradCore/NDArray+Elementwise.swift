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
}

/// An elementwise function of two broadcast arrays.
public enum BinaryOp: Sendable, Equatable {
    case add, subtract, multiply, divide, power, maximum, minimum
    /// 1 where a > b, else 0.
    case greater
    /// 1 where a == b, else 0.
    case equal
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
        }
    }

    /// Whether the op maps integers to integers (so an integer array keeps its dtype, as
    /// in PyTorch); the others compute integer input in float32.
    var keepsIntegers: Bool {
        switch self {
        case .negate, .abs, .relu, .sign, .isPositive: return true
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
        }
    }
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
        let shape = try broadcastShapes(lhs.shape, rhs.shape, op: name)
        guard lhs.dtype == .float32 && rhs.dtype == .float32 else {
            return zipAnyDType(op, lhs, rhs, shape: shape, resultType: resultType(of: op, lhs, rhs))
        }
        let result = NDArray(uninitialized: shape)
        let out = result.storage.base
        if lhs.shape == rhs.shape && lhs.layout.isContiguous && rhs.layout.isContiguous {
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
