/// The element types of the safetensors format that this library reads and writes.
/// Tensors hold `Float`, so other types are converted on the way in and out.
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

    /// Reads `count` elements starting at `bytes` (little-endian) as floats.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        (0..<count).map { i in
            let offset = i * byteCount
            switch self {
            case .float64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            case .float32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case .float16: return halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case .bfloat16:
                return Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
            case .int64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
            case .int32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            case .int16: return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            case .uint64: return Float(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            case .uint32: return Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case .uint16: return Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case .int8: return Float(bytes.load(fromByteOffset: offset, as: Int8.self))
            case .uint8: return Float(bytes[offset])
            case .bool: return bytes[offset] == 0 ? 0 : 1
            }
        }
    }

    /// Appends `values` in this type, little-endian (integers are rounded toward zero and
    /// must fit the type).
    func encode(_ values: [Float], into bytes: inout [UInt8]) {
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for value in values {
            switch self {
            case .float64: append(Double(value).bitPattern)
            case .float32: append(value.bitPattern)
            case .float16: append(floatToHalf(value))
            case .bfloat16: append(floatToBFloat16(value))
            case .int64: append(Int64(value))
            case .int32: append(Int32(value))
            case .int16: append(Int16(value))
            case .uint64: append(UInt64(value))
            case .uint32: append(UInt32(value))
            case .uint16: append(UInt16(value))
            case .int8: append(Int8(value))
            case .uint8: append(UInt8(value))
            case .bool: append(UInt8(value != 0 ? 1 : 0))
            }
        }
    }
}

/// IEEE half precision bits to `Float` (exact).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int(bits >> 10) & 0x1F, fraction = Float(bits & 0x3FF)
    switch exponent {
    case 0: return sign * fraction * 0x1p-24
    case 31: return fraction == 0 ? sign * .infinity : .nan
    default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}

/// `Float` to IEEE half precision bits, rounding to nearest even (as PyTorch's `.half()`).
func floatToHalf(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    if value.isNaN { return sign | 0x7E00 }
    let magnitude = Swift.abs(value)
    if magnitude >= 65520 { return sign | 0x7C00 }  // rounds to infinity
    if magnitude < 0x1p-14 {
        // Subnormal half: a multiple of 2^-24, rounded to nearest even by Float's own rounding.
        return sign | UInt16((magnitude * 0x1p24).rounded(.toNearestOrEven))
    }
    let exponent = Int(magnitude.exponent) + 15
    let mantissa = (magnitude.significand - 1) * 1024
    var rounded = UInt16(mantissa.rounded(.toNearestOrEven))
    var biased = UInt16(exponent)
    if rounded == 1024 { rounded = 0; biased += 1 }
    return sign | (biased << 10) | rounded
}

/// `Float` to bfloat16 bits, rounding to nearest even.
func floatToBFloat16(_ value: Float) -> UInt16 {
    if value.isNaN { return UInt16(value.bitPattern >> 16) | 0x40 }
    let bits = value.bitPattern
    return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}
