/// The element type of a tensor, like `torch.dtype`.
///
/// Float32 is the default for floating values; integer literals make int64 tensors and
/// Boolean literals bool tensors, as `torch.tensor` does. Float16 and bfloat16 are stored
/// in two bytes and computed in float32 registers, rounded back on store.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether the dtype holds floating-point values (and so can require gradients).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// Whether the dtype holds integers (signed or not; bool is not one).
    public var isInteger: Bool {
        switch self {
        case .int64, .int32, .int16, .int8, .uint8: return true
        default: return false
        }
    }

    /// PyTorch's name: `torch.float32`, `torch.int64`, ...
    public var description: String { "torch." + rawValue }

    /// The dtype a tensor of this dtype is computed in: float16 and bfloat16 in float32
    /// (PyTorch's "opmath" type), every other dtype in itself.
    public var computeType: DType {
        self == .float16 || self == .bfloat16 ? .float32 : self
    }

    /// Whether a result of this dtype may be written into a tensor of `target` in place,
    /// as `torch.can_cast`: never down a category (a floating result into an integer
    /// tensor, an integer one into a bool tensor); any width within one.
    public func canCast(to target: DType) -> Bool { category <= target.category }

    /// Where the dtype sits among bool < integer < floating point.
    var category: Int { self == .bool ? 0 : (isInteger ? 1 : 2) }

    /// The smallest dtype that holds both, as `torch.promote_types`: the wider of two
    /// floats or two signed integers, a float over an integer or bool, an integer over
    /// bool; uint8 with a signed integer gives the next wider signed integer (int16 for
    /// int8), float16 with bfloat16 gives float32.
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .bool { return b }
        if b == .bool { return a }
        if a.isFloatingPoint || b.isFloatingPoint {
            guard a.isFloatingPoint && b.isFloatingPoint else { return a.isFloatingPoint ? a : b }
            if Set([a, b]) == [.float16, .bfloat16] { return .float32 }
            return a.itemSize >= b.itemSize ? a : b
        }
        // Two different integer dtypes.
        if a == .uint8 || b == .uint8 {
            let signed = a == .uint8 ? b : a
            return signed == .int8 ? .int16 : signed
        }
        return a.itemSize >= b.itemSize ? a : b
    }
}

/// One operand of an op, for type promotion: a tensor with dimensions, a 0-d tensor, or a
/// Swift number (PyTorch's "wrapped number").
public enum PromotionOperand: Sendable {
    /// A tensor of one or more dimensions.
    case tensor(DType)
    /// A 0-d tensor.
    case zeroDimensional(DType)
    /// A Swift `Bool`, integer or floating-point value.
    case scalar(ScalarKind)

    /// The kind of a Swift number.
    public enum ScalarKind: Sendable {
        case bool, integer, floatingPoint
        /// The dtype the number takes when it decides the result: bool, int64, or the
        /// default float32.
        var dtype: DType {
            switch self {
            case .bool: return .bool
            case .integer: return .int64
            case .floatingPoint: return .float32
            }
        }
    }
}

extension DType {
    /// The dtype of an op's result, as `torch.result_type`: tensors with dimensions decide
    /// first; 0-d tensors and then Swift numbers only raise the category (bool, integer,
    /// floating point), never the width within it (`int64 tensor * 2.5` is float32,
    /// `float32 + 0-d float64` is float32, `int32 + 5` is int32).
    public static func resultType(_ operands: [PromotionOperand]) -> DType {
        var dimensioned: DType?, zeroDimensional: DType?, scalar: DType?
        func merge(_ current: DType?, _ new: DType) -> DType { current.map { promoted($0, new) } ?? new }
        for operand in operands {
            switch operand {
            case .tensor(let dtype): dimensioned = merge(dimensioned, dtype)
            case .zeroDimensional(let dtype): zeroDimensional = merge(zeroDimensional, dtype)
            case .scalar(let kind): scalar = merge(scalar, kind.dtype)
            }
        }
        return combine(dimensioned, combine(zeroDimensional, scalar)) ?? .float32
    }

    /// PyTorch's `combine_categories`: the higher-priority dtype, unless the lower one is
    /// of a higher category, in which case the two are promoted.
    private static func combine(_ higher: DType?, _ lower: DType?) -> DType? {
        guard let higher else { return lower }
        guard let lower else { return higher }
        if higher.isFloatingPoint { return higher }
        if higher == .bool || lower.isFloatingPoint { return promoted(higher, lower) }
        return higher
    }
}
