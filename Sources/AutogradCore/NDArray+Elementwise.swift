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
    case addScalar(Float)
    /// x * s.
    case multiplyScalar(Float)
    /// s - x.
    case reverseSubtractScalar(Float)
    /// s / x.
    case reverseDivideScalar(Float)
    /// x ** s.
    case power(Float)
    /// s ** x.
    case reversePower(Float)
    /// x limited to `[min, max]`; either bound may be absent.
    case clamp(min: Float?, max: Float?)
    /// 1 where `min < x < max` (absent bounds always hold), else 0: clamp's gradient mask,
    /// 0 on a bound as in PyTorch 2.15 (the minimum-norm subgradient).
    case insideRange(min: Float?, max: Float?)
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

extension UnaryOp {
    /// The function applied to one element.
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .negate: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .relu: return x > 0 ? x : 0
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .reciprocal: return 1 / x
        case .erf: return Foundation.erf(x)
        case .addScalar(let s): return x + s
        case .multiplyScalar(let s): return x * s
        case .reverseSubtractScalar(let s): return s - x
        case .reverseDivideScalar(let s): return s / x
        case .power(let s): return elementPower(x, s)
        case .reversePower(let s): return elementPower(s, x)
        case .clamp(let low, let high):
            var y = x
            if let low { y = Swift.max(y, low) }
            if let high { y = Swift.min(y, high) }
            return x.isNaN ? x : y
        case .insideRange(let low, let high):
            return (low.map { x > $0 } ?? true) && (high.map { x < $0 } ?? true) ? 1 : 0
        case .isPositive: return x > 0 ? 1 : 0
        }
    }
}

extension BinaryOp {
    /// The function applied to one pair of elements.
    @inline(__always)
    func apply(_ a: Float, _ b: Float) -> Float {
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
}

/// `base ** exponent` with the exact fast cases PyTorch uses for small integer exponents.
@inline(__always)
func elementPower(_ base: Float, _ exponent: Float) -> Float {
    switch exponent {
    case 1: return base
    case 2: return base * base
    case 3: return base * base * base
    case 0.5: return base.squareRoot()
    case -1: return 1 / base
    default: return Foundation.pow(base, exponent)
    }
}

extension NDArray {
    /// Applies `op` to every element; the result is a new contiguous array.
    public func map(_ op: UnaryOp) -> NDArray {
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
