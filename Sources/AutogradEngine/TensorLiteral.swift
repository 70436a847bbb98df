import AutogradCore

/// A Swift value or nested array a tensor can be made from, like the data argument of
/// `torch.tensor`: `Bool`, integers, `Float` and `Double`, and arrays of them nested to
/// any depth (rectangular).
///
/// The kind of the innermost values picks the default dtype as PyTorch does: integers
/// make int64, Booleans bool, floating-point values the default float32.
public protocol TensorLiteral {
    /// The kind of number at the innermost level.
    static var literalKind: TensorLiteralKind { get }
    /// Appends this value's shape (outermost first) and values to `values`; returns the
    /// shape.
    func flatten(into values: inout TensorLiteralValues) -> [Int]
}

/// The kind of number a ``TensorLiteral`` holds.
public enum TensorLiteralKind: Sendable {
    case bool, integer, floatingPoint

    /// The dtype such values get when none is asked for.
    var defaultDType: DType {
        switch self {
        case .bool: return .bool
        case .integer: return .int64
        case .floatingPoint: return .float32
        }
    }
}

/// The values of a literal in row-major order: integers exactly, floating values as doubles.
public struct TensorLiteralValues {
    var integers: [Int64] = []
    var doubles: [Double] = []
}

extension Bool: TensorLiteral {
    /// Booleans make bool tensors.
    public static var literalKind: TensorLiteralKind { .bool }
    /// A 0-d value.
    public func flatten(into values: inout TensorLiteralValues) -> [Int] {
        values.integers.append(self ? 1 : 0)
        return []
    }
}

extension Int: TensorLiteral {
    /// Integers make int64 tensors.
    public static var literalKind: TensorLiteralKind { .integer }
    /// A 0-d value.
    public func flatten(into values: inout TensorLiteralValues) -> [Int] {
        values.integers.append(Int64(self))
        return []
    }
}

extension Float: TensorLiteral {
    /// Floating-point values make float32 tensors.
    public static var literalKind: TensorLiteralKind { .floatingPoint }
    /// A 0-d value.
    public func flatten(into values: inout TensorLiteralValues) -> [Int] {
        values.doubles.append(Double(self))
        return []
    }
}

extension Double: TensorLiteral {
    /// Floating-point values make float32 tensors (float64 when asked for, exactly).
    public static var literalKind: TensorLiteralKind { .floatingPoint }
    /// A 0-d value.
    public func flatten(into values: inout TensorLiteralValues) -> [Int] {
        values.doubles.append(self)
        return []
    }
}

extension Array: TensorLiteral where Element: TensorLiteral {
    /// The kind of the innermost values.
    public static var literalKind: TensorLiteralKind { Element.literalKind }
    /// This array's length, then its elements' common shape.
    public func flatten(into values: inout TensorLiteralValues) -> [Int] {
        var inner: [Int]?
        for element in self {
            let shape = element.flatten(into: &values)
            if let inner, inner != shape {
                usageFailure("tensor: expected sequence of length \(inner) but got \(shape) (nested arrays must be rectangular)")
            }
            inner = shape
        }
        return [count] + (inner ?? [])
    }
}

extension Tensor {
    /// A tensor holding `data`, like `torch.tensor(data, dtype=...)`: `Tensor([1, 2, 3])`
    /// is int64, `Tensor([true, false])` bool, `Tensor([2.0, 3.5])` float32 (the default),
    /// `Tensor([1.5, 2.0], dtype: .float64)` float64 with the `Double` values kept exactly.
    ///
    /// Only floating-point tensors can require gradients.
    public convenience init<Literal: TensorLiteral>(_ data: Literal, dtype: DType? = nil, requiresGrad: Bool = false) {
        var values = TensorLiteralValues()
        let shape = data.flatten(into: &values)
        let kind = Literal.literalKind
        let dtype = dtype ?? kind.defaultDType
        let array = kind == .floatingPoint
            ? NDArray(shape: shape, doubles: values.doubles, dtype: dtype)
            : NDArray(shape: shape, integers: values.integers, dtype: dtype)
        self.init(array, requiresGrad: requiresGrad)
    }
}
