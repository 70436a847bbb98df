import AutogradCore

/// The element types of the safetensors format that this library reads and writes.
/// Each loads into the tensor dtype of the same type (``tensorDType``), so a checkpoint's
/// float64, int64, bool, float16 and bfloat16 tensors keep their dtype.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    /// IEEE floats of 64, 32 and 16 bits, and bfloat16 (the top half of a 32-bit float).
    case float64 = "F64", float32 = "F32", float16 = "F16", bfloat16 = "BF16"
    /// Signed integers of 64, 32, 16 and 8 bits, and booleans (a byte each).
    case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", bool = "BOOL"
    /// Unsigned integers of 64, 32, 16 and 8 bits.
    case uint64 = "U64", uint32 = "U32", uint16 = "U16", uint8 = "U8"

    /// The bytes one element takes.
    public var byteCount: Int {
        switch self {
        case .float64, .int64, .uint64: return 8
        case .float32, .int32, .uint32: return 4
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// The position of the type in the Rust library's `Dtype` enum, which orders the
    /// tensors of a file (larger first), so files written here match its byte for byte.
    var sortRank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 4
        case .int8: return 5
        case .int16: return 9
        case .uint16: return 10
        case .float16: return 11
        case .bfloat16: return 12
        case .int32: return 13
        case .uint32: return 14
        case .float32: return 15
        case .float64: return 16
        case .int64: return 17
        case .uint64: return 18
        }
    }

    /// The tensor dtype the values load into: the same type, or int64 for the unsigned
    /// integers of 16 bits and more, which have no dtype of their own (as in PyTorch, which
    /// lacks them too for most ops).
    public var tensorDType: DType {
        switch self {
        case .float64: return .float64
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .int64, .uint64, .uint32, .uint16: return .int64
        case .int32: return .int32
        case .int16: return .int16
        case .int8: return .int8
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }

    /// The safetensors type a tensor of `dtype` is stored as by default.
    public init(_ dtype: DType) {
        switch dtype {
        case .float64: self = .float64
        case .float32: self = .float32
        case .float16: self = .float16
        case .bfloat16: self = .bfloat16
        case .int64: self = .int64
        case .int32: self = .int32
        case .int16: self = .int16
        case .int8: self = .int8
        case .uint8: self = .uint8
        case .bool: self = .bool
        }
    }

    /// Reads `count` elements starting at `bytes` (little-endian) into an array of
    /// ``tensorDType`` and `shape`, exactly.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, shape: [Int]) -> NDArray {
        func integers<T: FixedWidthInteger>(_: T.Type) -> NDArray {
            let values = (0..<count).map { Int64(truncatingIfNeeded: T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * byteCount, as: T.self))) }
            return NDArray(shape: shape, integers: values, dtype: .int64)
        }
        switch self {
        case .uint64: return integers(UInt64.self)
        case .uint32: return integers(UInt32.self)
        case .uint16: return integers(UInt16.self)
        default:
            // The bytes are the dtype's own little-endian elements: copied as they are
            // (bool bytes normalised to 0 or 1).
            let array = NDArray(uninitialized: shape, dtype: tensorDType)
            let target = array.storage.raw
            for i in 0..<count * byteCount { target.storeBytes(of: bytes[i], toByteOffset: i, as: UInt8.self) }
            if self == .bool {
                let flags = target.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count where flags[i] > 1 { flags[i] = 1 }
            }
            return array.byteSwappedOnBigEndianHosts()
        }
    }

    /// Appends `array`'s values in this type, little-endian (converted as PyTorch's `.to()`
    /// converts: rounded for floats, truncated toward zero and wrapped for integers).
    func encode(_ array: NDArray, into bytes: inout [UInt8]) {
        func integers<T: FixedWidthInteger>(_: T.Type) {
            for value in array.integers {
                withUnsafeBytes(of: T(truncatingIfNeeded: value).littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        switch self {
        case .uint64: integers(UInt64.self)
        case .uint32: integers(UInt32.self)
        case .uint16: integers(UInt16.self)
        default:
            let stored = array.converted(to: tensorDType).byteSwappedOnBigEndianHosts()
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: stored.rawPointer, count: stored.count * byteCount))
        }
    }
}

extension NDArray {
    /// This contiguous array with each element's bytes reversed on a big-endian host (so
    /// its bytes are little-endian), itself on the little-endian hosts Swift runs on.
    func byteSwappedOnBigEndianHosts() -> NDArray {
        guard 1.bigEndian == 1, dtype.itemSize > 1 else { return self }
        let size = dtype.itemSize
        for element in 0..<count {
            let start = storage.raw + element * size
            for i in 0..<size / 2 {
                let (a, b) = (start.load(fromByteOffset: i, as: UInt8.self), start.load(fromByteOffset: size - 1 - i, as: UInt8.self))
                start.storeBytes(of: b, toByteOffset: i, as: UInt8.self)
                start.storeBytes(of: a, toByteOffset: size - 1 - i, as: UInt8.self)
            }
        }
        return self
    }
}
