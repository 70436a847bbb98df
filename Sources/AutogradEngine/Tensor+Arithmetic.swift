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
    func binary(_ kernel: BinaryOp, _ op: Op, _ other: Tensor, name: String, saveInputs: Bool) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in try NDArray.zip(kernel, array, other.array, name: name) }
        return Tensor.record(
            value, op, self, other,
            saved: saveInputs ? SavedValues(first: self, second: other) : SavedValues())
    }

    /// Applies an elementwise op with a scalar and records it.
    func scalarOp(_ kernel: UnaryOp, _ op: Op, saveInput: Bool = false, saveScalar scalar: Float? = nil) -> Tensor {
        Tensor.record(array.map(kernel), op, input: self, saved: SavedValues(first: saveInput ? self : nil, scalar: scalar))
    }

    /// Elementwise sum, broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.add, .add, rhs, name: "add", saveInputs: false)
    }
    /// Elementwise difference, broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.subtract, .subtract, rhs, name: "sub", saveInputs: false)
    }
    /// Elementwise product, broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.multiply, .multiply, rhs, name: "mul", saveInputs: true)
    }
    /// Elementwise quotient, broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.binary(.divide, .divide, rhs, name: "div", saveInputs: true)
    }
    /// Elementwise power, broadcasting: `lhs[i] ** rhs[i]`.
    public static func ** (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.pow(rhs) }

    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.scalarOp(.addScalar(rhs), .addScalar(rhs)) }
    /// Adds a scalar to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.scalarOp(.addScalar(-rhs), .subtractScalar(rhs))
    }
    /// Subtracts every element from a scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor {
        rhs.scalarOp(.reverseSubtractScalar(lhs), .reverseSubtractScalar(lhs))
    }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.scalarOp(.multiplyScalar(rhs), .multiplyScalar(rhs), saveScalar: rhs)
    }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.scalarOp(.multiplyScalar(1 / rhs), .divideScalar(rhs), saveScalar: rhs)
    }
    /// Divides a scalar by every element: `lhs * (1 / rhs)`, as PyTorch computes it.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.reciprocal() * lhs }
    /// Raises every element to a scalar power.
    public static func ** (lhs: Tensor, rhs: Float) -> Tensor { lhs.pow(rhs) }
    /// Raises a scalar to the power of every element.
    public static func ** (lhs: Float, rhs: Tensor) -> Tensor {
        let value = rhs.array.map(.reversePower(lhs))
        return Tensor.record(value, .reversePowerScalar(lhs), input: rhs, saved: SavedValues(result: value))
    }
    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.scalarOp(.negate, .negate) }

    /// Raises every element to `exponent`: `x ** exponent`.
    public func pow(_ exponent: Float) -> Tensor { scalarOp(.power(exponent), .powerScalar(exponent), saveInput: true) }

    /// Raises each element to the matching element of `exponent`, broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in try NDArray.zip(.power, array, exponent.array, name: "pow") }
        return Tensor.record(value, .power, self, exponent,
                             saved: SavedValues(first: self, second: exponent, result: value))
    }

    /// The larger of each pair of elements, broadcasting (NaN if either is NaN).
    public func maximum(_ other: Tensor) -> Tensor {
        binary(.maximum, .maximum, other, name: "maximum", saveInputs: true)
    }

    /// The smaller of each pair of elements, broadcasting (NaN if either is NaN).
    public func minimum(_ other: Tensor) -> Tensor {
        binary(.minimum, .minimum, other, name: "minimum", saveInputs: true)
    }
}

/// The larger of each pair of elements of `a` and `b`, broadcasting, like `torch.maximum`.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { a.maximum(b) }
/// The smaller of each pair of elements of `a` and `b`, broadcasting, like `torch.minimum`.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { a.minimum(b) }
