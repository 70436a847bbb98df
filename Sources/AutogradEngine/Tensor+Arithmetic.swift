import AutogradCore

/// Precedence of `**`: above multiplication, grouping to the right as in Python.
precedencegroup PowerPrecedence {
    higherThan: MultiplicationPrecedence
    associativity: right
}

/// Raises to a power, elementwise: `a ** 2`, `a ** b`, `2 ** a`.
infix operator ** : PowerPrecedence

extension Tensor {
    /// Applies a broadcasting binary op and records it.
    func binary(_ kernel: BinaryOp, _ op: Op, _ other: Tensor, name: String) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in try NDArray.zip(kernel, array, other.array, name: name) }
        return Tensor.record(value, op, self, other)
    }

    /// Applies an elementwise op with a scalar and records it.
    func scalarOp(_ kernel: UnaryOp, _ op: Op) -> Tensor {
        Tensor.record(array.map(kernel), op, input: self)
    }

    /// Elementwise sum, broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.add, .add, rhs, name: "add")
    }
    /// Elementwise difference, broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.subtract, .subtract, rhs, name: "sub")
    }
    /// Elementwise product, broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.multiply, .multiply, rhs, name: "mul")
    }
    /// Elementwise quotient, broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.divide, .divide, rhs, name: "div")
    }
    /// Elementwise power, broadcasting: `lhs[i] ** rhs[i]`.
    public static func ** (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.pow(rhs) }

    // Scalars: a floating-point scalar (`Float`, `Double`, a literal such as `0.5`) keeps a
    // floating tensor's dtype and makes an integer tensor float32; an integer scalar (a
    // literal such as `2`) keeps an integer tensor's dtype, as Python numbers do in PyTorch.

    /// Adds a scalar to every element.
    public static func + <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor {
        let s = Double(rhs)
        return lhs.scalarOp(.addScalar(s), .addScalar(s))
    }
    /// Adds a scalar to every element.
    public static func + <S: BinaryFloatingPoint>(lhs: S, rhs: Tensor) -> Tensor { rhs + lhs }
    /// Adds an integer to every element.
    public static func + (lhs: Tensor, rhs: Int) -> Tensor { lhs.integerScalarOp(.add, rhs) ?? lhs + Double(rhs) }
    /// Adds an integer to every element.
    public static func + (lhs: Int, rhs: Tensor) -> Tensor { rhs + lhs }

    /// Subtracts a scalar from every element.
    public static func - <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor {
        let s = Double(rhs)
        return lhs.scalarOp(.addScalar(-s), .subtractScalar(s))
    }
    /// Subtracts every element from a scalar.
    public static func - <S: BinaryFloatingPoint>(lhs: S, rhs: Tensor) -> Tensor {
        let s = Double(lhs)
        return rhs.scalarOp(.reverseSubtractScalar(s), .reverseSubtractScalar(s))
    }
    /// Subtracts an integer from every element.
    public static func - (lhs: Tensor, rhs: Int) -> Tensor { lhs.integerScalarOp(.subtract, rhs) ?? lhs - Double(rhs) }
    /// Subtracts every element from an integer.
    public static func - (lhs: Int, rhs: Tensor) -> Tensor {
        rhs.integerScalarOp(.subtract, lhs, scalarFirst: true) ?? Double(lhs) - rhs
    }

    /// Multiplies every element by a scalar.
    public static func * <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor {
        let s = Double(rhs)
        return lhs.scalarOp(.multiplyScalar(s), .multiplyScalar(s))
    }
    /// Multiplies every element by a scalar.
    public static func * <S: BinaryFloatingPoint>(lhs: S, rhs: Tensor) -> Tensor { rhs * lhs }
    /// Multiplies every element by an integer.
    public static func * (lhs: Tensor, rhs: Int) -> Tensor { lhs.integerScalarOp(.multiply, rhs) ?? lhs * Double(rhs) }
    /// Multiplies every element by an integer.
    public static func * (lhs: Int, rhs: Tensor) -> Tensor { rhs * lhs }

    /// Divides every element by a scalar (true division: integer tensors give float32).
    /// Float tensors multiply by the reciprocal rounded to their compute type.
    public static func / <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor {
        let s = Double(rhs)
        return lhs.scalarOp(.multiplyScalar(lhs.divisionFactor(for: s)), .divideScalar(s))
    }
    /// Divides a scalar by every element: `lhs * (1 / rhs)`, as PyTorch computes it.
    public static func / <S: BinaryFloatingPoint>(lhs: S, rhs: Tensor) -> Tensor { rhs.reciprocal() * lhs }
    /// Divides every element by an integer (true division: integer tensors give float32).
    public static func / (lhs: Tensor, rhs: Int) -> Tensor { lhs / Double(rhs) }
    /// Divides an integer by every element (true division).
    public static func / (lhs: Int, rhs: Tensor) -> Tensor { Double(lhs) / rhs }

    /// Raises every element to a scalar power.
    public static func ** <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.pow(Double(rhs)) }
    /// Raises a scalar to the power of every element.
    public static func ** <S: BinaryFloatingPoint>(lhs: S, rhs: Tensor) -> Tensor {
        let s = Double(lhs)
        let value = rhs.array.map(.reversePower(s))
        return Tensor.record(value, .reversePowerScalar(s), input: rhs, )
    }
    /// Raises every element to an integer power (an integer tensor stays integer).
    public static func ** (lhs: Tensor, rhs: Int) -> Tensor { lhs.integerScalarOp(.power, rhs) ?? lhs.pow(Double(rhs)) }
    /// Raises an integer to the power of every element.
    public static func ** (lhs: Int, rhs: Tensor) -> Tensor {
        rhs.integerScalarOp(.power, lhs, scalarFirst: true) ?? Double(lhs) ** rhs
    }

    /// `1 / divisor` rounded to this tensor's compute type (float64 for float64, float32
    /// otherwise), so dividing by a scalar is multiplying by the same value PyTorch uses.
    func divisionFactor(for divisor: Double) -> Double {
        dtype == .float64 ? 1 / divisor : Double(1 / Float(divisor))
    }

    /// `op` of an integer or bool tensor with an integer scalar, in the tensor's dtype
    /// (int64 for bool); nil for floating tensors, which take the floating path.
    private func integerScalarOp(_ op: BinaryOp, _ scalar: Int, scalarFirst: Bool = false) -> Tensor? {
        guard !dtype.isFloatingPoint else { return nil }
        let resultType = DType.resultType([array.promotionOperand, .scalar(.integer)])
        let other = NDArray(shape: [], integers: [Int64(scalar)], dtype: .int64)
        let (a, b) = scalarFirst ? (other, array) : (array, other)
        return Tensor(NDArray.zipAnyDType(op, a, b, shape: shape, resultType: resultType))
    }

    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.scalarOp(.negate, .negate) }

    /// Raises every element to `exponent`: `x ** exponent`.
    public func pow<S: BinaryFloatingPoint>(_ exponent: S) -> Tensor {
        let e = Double(exponent)
        return scalarOp(.power(e), .powerScalar(e))
    }

    /// Raises each element to the matching element of `exponent`, broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in try NDArray.zip(.power, array, exponent.array, name: "pow") }
        return Tensor.record(value, .power, self, exponent)
    }

    /// The larger of each pair of elements, broadcasting (NaN if either is NaN).
    public func maximum(_ other: Tensor) -> Tensor {
        binary(.maximum, .maximum, other, name: "maximum")
    }

    /// The smaller of each pair of elements, broadcasting (NaN if either is NaN).
    public func minimum(_ other: Tensor) -> Tensor {
        binary(.minimum, .minimum, other, name: "minimum")
    }
}

/// The larger of each pair of elements of `a` and `b`, broadcasting, like `torch.maximum`.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { a.maximum(b) }
/// The smaller of each pair of elements of `a` and `b`, broadcasting, like `torch.minimum`.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { a.minimum(b) }
