import CAutogradMPI

/// The element types collectives move, each matched to an MPI datatype.
///
/// Every collective is written once over a raw buffer, an element count and one of these
/// kinds; a tensor or array reaches it through ``DistributedScalar`` (arrays) or
/// `Tensor`'s element kind (one case per dtype the core has).
public enum CollectiveElementKind: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// `Float` (MPI_FLOAT).
    case float32 = 0
    /// `Double` (MPI_DOUBLE).
    case float64 = 1
    /// `Int8` (MPI_INT8_T).
    case int8 = 2
    /// `UInt8` (MPI_UINT8_T).
    case uint8 = 3
    /// `Int32` (MPI_INT32_T).
    case int32 = 4
    /// `Int64` (MPI_INT64_T).
    case int64 = 5
    /// `Bool` (MPI_C_BOOL): reduced with logical or (sum, max) and logical and (min).
    case bool = 6
    /// `Int16` (MPI_INT16_T).
    case int16 = 7

    /// The size of one element in bytes.
    public var byteCount: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether the kind holds floating-point numbers (the only kinds ``ReduceOp/mean`` takes).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// The name PyTorch gives the dtype, such as `float32`.
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .int16: return "int16"
        case .bool: return "bool"
        }
    }
}

/// How ``ProcessGroup/allReduce(_:op:)`` and ``ProcessGroup/reduceScatter(_:op:)``
/// combine the processes' values, like `torch.distributed.ReduceOp`.
public enum ReduceOp: Sendable, CaseIterable, CustomStringConvertible {
    /// The sum over processes.
    case sum
    /// The sum divided by the number of processes (floating-point kinds only), like `AVG`.
    case mean
    /// The largest value.
    case max
    /// The smallest value.
    case min

    /// The operation's name, such as `sum`.
    public var description: String {
        switch self {
        case .sum: return "sum"
        case .mean: return "mean"
        case .max: return "max"
        case .min: return "min"
        }
    }

    /// The MPI operation that computes it for `kind` (`mean` sums, then divides).
    func mpiOperation(for kind: CollectiveElementKind) -> ag_mpi_op {
        switch (self, kind) {
        case (.sum, .bool), (.max, .bool): return AG_MPI_LOR
        case (.min, .bool): return AG_MPI_LAND
        case (.sum, _), (.mean, _): return AG_MPI_SUM
        case (.max, _): return AG_MPI_MAX
        case (.min, _): return AG_MPI_MIN
        }
    }
}

/// A Swift scalar type the collectives take in arrays (`[Float]`, `[Int64]`, ...).
public protocol DistributedScalar {
    /// The element kind of this type.
    static var collectiveKind: CollectiveElementKind { get }
}

extension Float: DistributedScalar {
    /// ``CollectiveElementKind/float32``.
    public static var collectiveKind: CollectiveElementKind { .float32 }
}

extension Double: DistributedScalar {
    /// ``CollectiveElementKind/float64``.
    public static var collectiveKind: CollectiveElementKind { .float64 }
}

extension Int8: DistributedScalar {
    /// ``CollectiveElementKind/int8``.
    public static var collectiveKind: CollectiveElementKind { .int8 }
}

extension UInt8: DistributedScalar {
    /// ``CollectiveElementKind/uint8``.
    public static var collectiveKind: CollectiveElementKind { .uint8 }
}

extension Int16: DistributedScalar {
    /// ``CollectiveElementKind/int16``.
    public static var collectiveKind: CollectiveElementKind { .int16 }
}

extension Int32: DistributedScalar {
    /// ``CollectiveElementKind/int32``.
    public static var collectiveKind: CollectiveElementKind { .int32 }
}

extension Int64: DistributedScalar {
    /// ``CollectiveElementKind/int64``.
    public static var collectiveKind: CollectiveElementKind { .int64 }
}

extension Int: DistributedScalar {
    /// ``CollectiveElementKind/int64`` where `Int` has 64 bits, ``CollectiveElementKind/int32`` otherwise.
    public static var collectiveKind: CollectiveElementKind { MemoryLayout<Int>.size == 8 ? .int64 : .int32 }
}

extension Bool: DistributedScalar {
    /// ``CollectiveElementKind/bool``.
    public static var collectiveKind: CollectiveElementKind { .bool }
}
