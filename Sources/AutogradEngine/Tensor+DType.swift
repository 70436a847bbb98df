import AutogradCore

extension Tensor {
    /// This tensor converted to `dtype`, like `tensor.to(dtype)`: itself when it already
    /// has that dtype. Between floating dtypes the conversion is differentiable
    /// (`ToCopyBackward0` converts the gradient back); a conversion to an integer or bool
    /// dtype gives a tensor that does not require grad.
    public func to(_ dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let value = array.converted(to: dtype)
        guard dtype.isFloatingPoint else { return Tensor(value) }
        return Tensor.record(value, .toCopy(from: self.dtype), input: self)
    }

    /// The values in row-major order as `Float`s.
    public func asArray(_: Float.Type) -> [Float] { array.scalars }
    /// The values in row-major order as `Double`s (exact for float64).
    public func asArray(_: Double.Type) -> [Double] { array.doubles }
    /// The values in row-major order as `Int`s (floats truncated toward zero).
    public func asArray(_: Int.Type) -> [Int] { array.integers.map { Int($0) } }
    /// The values in row-major order as `Bool`s (non-zero is true).
    public func asArray(_: Bool.Type) -> [Bool] { array.integers.map { $0 != 0 } }

    /// Where each element is NaN, as a bool tensor (`torch.isnan`).
    public func isnan() -> Tensor { Tensor(array.classified(\.isNaN, integersGive: false)) }
    /// Where each element is infinite, as a bool tensor (`torch.isinf`).
    public func isinf() -> Tensor { Tensor(array.classified(\.isInfinite, integersGive: false)) }
    /// Where each element is finite (not infinite, not NaN), as a bool tensor (`torch.isfinite`).
    public func isfinite() -> Tensor { Tensor(array.classified(\.isFinite, integersGive: true)) }

    /// Picks `x` where `condition` (a bool tensor) is true and `y` elsewhere, all three
    /// broadcast together, like `torch.where`; the result has `x` and `y`'s promoted dtype
    /// and gradients flow to both (`WhereBackward0`).
    public static func `where`(_ condition: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor {
        checkUsage(condition.dtype == .bool, "where expected condition to be a boolean tensor, but got a tensor with dtype \(condition.dtype.scalarTypeName)")
        let value = trapOnShapeError { () throws(ShapeError) in
            try NDArray.select(condition.array, x.array, y.array, operands: [x.array.promotionOperand, y.array.promotionOperand])
        }
        return Tensor.record(value, .selectWhere, x, y, auxiliary: .array(condition.array))
    }

    /// A copy with `value` where `mask` (a bool tensor) is true, like
    /// `tensor.masked_fill(mask, value)`: the result has this tensor's dtype and the shape
    /// of the two broadcast together.
    public func maskedFill(_ mask: Tensor, _ value: Double) -> Tensor {
        checkUsage(mask.dtype == .bool, "masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.scalarTypeName)")
        let fill = NDArray(shape: [], doubles: [value], dtype: dtype)
        let filled = trapOnShapeError { () throws(ShapeError) in
            try NDArray.select(mask.array, fill, array, operands: [.tensor(dtype)])
        }
        return Tensor.record(filled, .maskedFill, input: self, auxiliary: .array(mask.array))
    }

    /// Writes `value` where `mask` is true, in place, like `masked_fill_`.
    public func maskedFillInPlace(_ mask: Tensor, _ value: Double) {
        updateInPlace("masked_fill_") { $0.maskedFill(mask, value) }
    }

    /// The flat index of the largest element (the first on ties), as a 0-d int64 tensor,
    /// like `torch.argmax(x)`.
    public func argmax() -> Tensor { reshape([-1]).argmax(dim: 0) }

    /// The flat index of the smallest element (the first on ties), as a 0-d int64 tensor.
    public func argmin() -> Tensor { reshape([-1]).argmin(dim: 0) }

    /// The index of the smallest element along `dim`, as an int64 tensor.
    public func argmin(dim: Int, keepDim: Bool = false) -> Tensor { min(dim: dim, keepDim: keepDim).indices }
}

// Elementwise comparisons, giving bool tensors: `x .== y`, `x .< 0.5`. Operands are
// compared in their promoted dtype, as in PyTorch.
extension Tensor {
    /// `op` of this tensor and `other`, broadcast, as a bool tensor.
    private func compared(_ op: ComparisonOp, _ other: Tensor, name: String) -> Tensor {
        Tensor(trapOnShapeError { () throws(ShapeError) in
            try NDArray.compare(op, array, other.array, operands: [array.promotionOperand, other.array.promotionOperand], name: name)
        })
    }

    /// `op` of this tensor and a Swift number of `kind`, as a bool tensor.
    private func compared(_ op: ComparisonOp, _ scalar: Double, kind: PromotionOperand.ScalarKind, name: String) -> Tensor {
        let other = NDArray(shape: [], doubles: [scalar], dtype: kind == .integer ? .int64 : .float64)
        return Tensor(trapOnShapeError { () throws(ShapeError) in
            try NDArray.compare(op, array, other, operands: [array.promotionOperand, .scalar(kind)], name: name)
        })
    }

    /// Where the elements are equal, like `torch.eq`.
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.equal, rhs, name: "eq") }
    /// Where the elements differ, like `torch.ne`.
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.notEqual, rhs, name: "ne") }
    /// Where `lhs` is smaller, like `torch.lt`.
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.less, rhs, name: "lt") }
    /// Where `lhs` is smaller or equal, like `torch.le`.
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.lessEqual, rhs, name: "le") }
    /// Where `lhs` is larger, like `torch.gt`.
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.greater, rhs, name: "gt") }
    /// Where `lhs` is larger or equal, like `torch.ge`.
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.compared(.greaterEqual, rhs, name: "ge") }

    /// Where the elements equal a number.
    public static func .== <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.equal, Double(rhs), kind: .floatingPoint, name: "eq") }
    /// Where the elements differ from a number.
    public static func .!= <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.notEqual, Double(rhs), kind: .floatingPoint, name: "ne") }
    /// Where the elements are smaller than a number.
    public static func .< <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.less, Double(rhs), kind: .floatingPoint, name: "lt") }
    /// Where the elements are at most a number.
    public static func .<= <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.lessEqual, Double(rhs), kind: .floatingPoint, name: "le") }
    /// Where the elements are larger than a number.
    public static func .> <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.greater, Double(rhs), kind: .floatingPoint, name: "gt") }
    /// Where the elements are at least a number.
    public static func .>= <S: BinaryFloatingPoint>(lhs: Tensor, rhs: S) -> Tensor { lhs.compared(.greaterEqual, Double(rhs), kind: .floatingPoint, name: "ge") }

    /// Where the elements equal an integer.
    public static func .== (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.equal, Double(rhs), kind: .integer, name: "eq") }
    /// Where the elements differ from an integer.
    public static func .!= (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.notEqual, Double(rhs), kind: .integer, name: "ne") }
    /// Where the elements are smaller than an integer.
    public static func .< (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.less, Double(rhs), kind: .integer, name: "lt") }
    /// Where the elements are at most an integer.
    public static func .<= (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.lessEqual, Double(rhs), kind: .integer, name: "le") }
    /// Where the elements are larger than an integer.
    public static func .> (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.greater, Double(rhs), kind: .integer, name: "gt") }
    /// Where the elements are at least an integer.
    public static func .>= (lhs: Tensor, rhs: Int) -> Tensor { lhs.compared(.greaterEqual, Double(rhs), kind: .integer, name: "ge") }
}

// Logical operators on bool tensors (bitwise on integer tensors), like `&`, `|`, `^`, `~`.
extension Tensor {
    /// `op` of two bool (or integer) tensors, broadcast.
    private func logical(_ op: LogicalOp, _ other: Tensor, name: String) -> Tensor {
        Tensor(trapOnShapeError { () throws(ShapeError) in try NDArray.logical(op, array, other.array, name: name) })
    }

    /// Logical and, like `a & b` on bool tensors.
    public static func .& (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logical(.and, rhs, name: "bitwise_and") }
    /// Logical or, like `a | b` on bool tensors.
    public static func .| (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logical(.or, rhs, name: "bitwise_or") }
    /// Logical exclusive or, like `a ^ b` on bool tensors.
    public static func .^ (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logical(.exclusiveOr, rhs, name: "bitwise_xor") }
    /// Logical not, like `~a` on a bool tensor (bitwise not on an integer tensor).
    public static prefix func .! (operand: Tensor) -> Tensor {
        Tensor(trapOnShapeError { () throws(ShapeError) in try operand.array.inverted() })
    }
}
