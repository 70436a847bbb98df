/// Reading and writing runs of elements of any ``DType`` as `Double`, `Int64` or `Float`:
/// the bridge every dtype's slow path goes through. Each function switches on the dtype
/// once, outside its loop.
extension DType {
    /// Reads `count` contiguous elements at `raw` as doubles (exact for every dtype but
    /// int64 values beyond 2⁵³).
    func decode(_ raw: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Double>) {
        func copy<T>(_: T.Type, _ convert: (T) -> Double) {
            let source = raw.assumingMemoryBound(to: T.self)
            for i in 0..<count { out[i] = convert(source[i]) }
        }
        switch self {
        case .float32: copy(Float.self) { Double($0) }
        case .float64: copy(Double.self) { $0 }
        case .float16: copy(UInt16.self) { Double(HalfPrecision.float(fromFloat16: $0)) }
        case .bfloat16: copy(UInt16.self) { Double(HalfPrecision.float(fromBFloat16: $0)) }
        case .int64: copy(Int64.self) { Double($0) }
        case .int32: copy(Int32.self) { Double($0) }
        case .int16: copy(Int16.self) { Double($0) }
        case .int8: copy(Int8.self) { Double($0) }
        case .uint8: copy(UInt8.self) { Double($0) }
        case .bool: copy(UInt8.self) { $0 != 0 ? 1 : 0 }
        }
    }

    /// Reads `count` contiguous elements at `raw` as integers (floats truncated toward
    /// zero; NaN and out-of-range values give `Int64.min`, as x86's conversion does).
    func decodeIntegers(_ raw: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Int64>) {
        func copy<T>(_: T.Type, _ convert: (T) -> Int64) {
            let source = raw.assumingMemoryBound(to: T.self)
            for i in 0..<count { out[i] = convert(source[i]) }
        }
        switch self {
        case .int64: copy(Int64.self) { $0 }
        case .int32: copy(Int32.self) { Int64($0) }
        case .int16: copy(Int16.self) { Int64($0) }
        case .int8: copy(Int8.self) { Int64($0) }
        case .uint8: copy(UInt8.self) { Int64($0) }
        case .bool: copy(UInt8.self) { $0 != 0 ? 1 : 0 }
        default:
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: count)
            defer { doubles.deallocate() }
            decode(raw, count: count, into: doubles)
            for i in 0..<count { out[i] = truncatingToInteger(doubles[i]) }
        }
    }

    /// Writes `count` doubles as contiguous elements at `raw`, rounded to nearest for
    /// floats, truncated toward zero (and wrapped to the width) for integers, `!= 0` for bool.
    func encode(_ values: UnsafePointer<Double>, count: Int, into raw: UnsafeMutableRawPointer) {
        func copy<T>(_: T.Type, _ convert: (Double) -> T) {
            let target = raw.assumingMemoryBound(to: T.self)
            for i in 0..<count { target[i] = convert(values[i]) }
        }
        switch self {
        case .float32: copy(Float.self) { Float($0) }
        case .float64: copy(Double.self) { $0 }
        case .float16: copy(UInt16.self) { HalfPrecision.float16Bits(Float($0)) }
        case .bfloat16: copy(UInt16.self) { HalfPrecision.bfloat16Bits(Float($0)) }
        case .bool: copy(UInt8.self) { $0 != 0 ? 1 : 0 }
        default:
            let integers = UnsafeMutablePointer<Int64>.allocate(capacity: count)
            defer { integers.deallocate() }
            for i in 0..<count { integers[i] = truncatingToInteger(values[i]) }
            encodeIntegers(integers, count: count, into: raw)
        }
    }

    /// Writes `count` integers as contiguous elements at `raw`, wrapped to the width of an
    /// integer dtype (as C casts do), converted for floats, `!= 0` for bool.
    func encodeIntegers(_ values: UnsafePointer<Int64>, count: Int, into raw: UnsafeMutableRawPointer) {
        func copy<T>(_: T.Type, _ convert: (Int64) -> T) {
            let target = raw.assumingMemoryBound(to: T.self)
            for i in 0..<count { target[i] = convert(values[i]) }
        }
        switch self {
        case .int64: copy(Int64.self) { $0 }
        case .int32: copy(Int32.self) { Int32(truncatingIfNeeded: $0) }
        case .int16: copy(Int16.self) { Int16(truncatingIfNeeded: $0) }
        case .int8: copy(Int8.self) { Int8(truncatingIfNeeded: $0) }
        case .uint8: copy(UInt8.self) { UInt8(truncatingIfNeeded: $0) }
        case .bool: copy(UInt8.self) { $0 != 0 ? 1 : 0 }
        case .float32: copy(Float.self) { Float($0) }
        case .float64: copy(Double.self) { Double($0) }
        case .float16: copy(UInt16.self) { HalfPrecision.float16Bits(Float($0)) }
        case .bfloat16: copy(UInt16.self) { HalfPrecision.bfloat16Bits(Float($0)) }
        }
    }

    /// Reads `count` contiguous elements at `raw` as floats (the compute type of float16
    /// and bfloat16).
    func decodeFloats(_ raw: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32: out.update(from: raw.assumingMemoryBound(to: Float.self), count: count)
        case .float16:
            let source = raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = HalfPrecision.float(fromFloat16: source[i]) }
        case .bfloat16:
            let source = raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = HalfPrecision.float(fromBFloat16: source[i]) }
        default:
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: count)
            defer { doubles.deallocate() }
            decode(raw, count: count, into: doubles)
            for i in 0..<count { out[i] = Float(doubles[i]) }
        }
    }

    /// Writes `count` floats as contiguous elements at `raw` (rounded to nearest for the
    /// two-byte floats).
    func encodeFloats(_ values: UnsafePointer<Float>, count: Int, into raw: UnsafeMutableRawPointer) {
        switch self {
        case .float32: raw.assumingMemoryBound(to: Float.self).update(from: values, count: count)
        case .float16:
            let target = raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { target[i] = HalfPrecision.float16Bits(values[i]) }
        case .bfloat16:
            let target = raw.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { target[i] = HalfPrecision.bfloat16Bits(values[i]) }
        default:
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: count)
            defer { doubles.deallocate() }
            for i in 0..<count { doubles[i] = Double(values[i]) }
            encode(doubles, count: count, into: raw)
        }
    }
}

/// `value` truncated toward zero, or `Int64.min` for NaN and values out of range (what
/// x86's conversion instruction gives, and so what PyTorch prints there).
@inline(__always)
func truncatingToInteger(_ value: Double) -> Int64 {
    // -2⁶³ and 2⁶³ are exact doubles; the range of Int64 is [-2⁶³, 2⁶³).
    guard value >= -9_223_372_036_854_775_808.0, value < 9_223_372_036_854_775_808.0 else { return .min }
    return Int64(value.rounded(.towardZero))
}
