/// Arrays of every ``DType``: creation from Swift values, reading back, conversion and
/// copies that work on raw elements of any width.
extension NDArray {
    /// The element type (the storage's).
    public var dtype: DType { storage.dtype }

    /// The first byte of the element at the layout's offset, for any dtype.
    public var rawPointer: UnsafeMutableRawPointer { storage.raw + layout.offset * dtype.itemSize }

    /// A new contiguous array of `dtype` holding `values` in row-major order (rounded to
    /// the dtype: to nearest for floats, toward zero for integers, `!= 0` for bool).
    public init(shape: [Int], doubles values: [Double], dtype: DType) {
        NDArray.checkCount(shape, values.count)
        self.init(uninitialized: shape, dtype: dtype)
        values.withUnsafeBufferPointer { dtype.encode($0.baseAddress!, count: values.count, into: storage.raw) }
    }

    /// A new contiguous array of `dtype` holding `values` in row-major order (wrapped to
    /// the width of an integer dtype, converted for floats, `!= 0` for bool).
    public init(shape: [Int], integers values: [Int64], dtype: DType) {
        NDArray.checkCount(shape, values.count)
        self.init(uninitialized: shape, dtype: dtype)
        values.withUnsafeBufferPointer { dtype.encodeIntegers($0.baseAddress!, count: values.count, into: storage.raw) }
    }

    /// A new contiguous array with every element equal to `value`, in `dtype`.
    public init(repeating value: Double, shape: [Int], dtype: DType) {
        self.init(shape: shape, doubles: [Double](repeating: value, count: shape.reduce(1, *)), dtype: dtype)
    }

    /// Stops with PyTorch's message unless `shape` holds `count` elements.
    private static func checkCount(_ shape: [Int], _ count: Int) {
        checkUsage(shape.allSatisfy { $0 >= 0 }, "tensor: negative size in shape \(shape)")
        checkUsage(
            shape.reduce(1, *) == count,
            "tensor: shape \(shape) needs \(shape.reduce(1, *)) values but \(count) were given")
    }

    /// The elements in row-major order as doubles.
    public var doubles: [Double] {
        let source = contiguous()
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            dtype.decode(source.rawPointer, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The elements in row-major order as integers (floats truncated toward zero).
    public var integers: [Int64] {
        let source = contiguous()
        return [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            dtype.decodeIntegers(source.rawPointer, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// A contiguous array of `dtype` with this array's values converted (this array itself
    /// when it already has that dtype and is contiguous).
    public func converted(to target: DType) -> NDArray {
        if target == dtype { return contiguous() }
        let source = contiguous()
        let result = NDArray(uninitialized: shape, dtype: target)
        let (from, to) = (source.rawPointer, result.storage.raw)
        if target.computeType == .float32 && dtype.computeType == .float32 {
            // float32 <-> float16/bfloat16 in float registers.
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { floats.deallocate() }
            dtype.decodeFloats(from, count: count, into: floats)
            target.encodeFloats(floats, count: count, into: to)
        } else if !dtype.isFloatingPoint {
            // Integers and bool: exact through Int64.
            let integers = UnsafeMutablePointer<Int64>.allocate(capacity: count)
            defer { integers.deallocate() }
            dtype.decodeIntegers(from, count: count, into: integers)
            target.encodeIntegers(integers, count: count, into: to)
        } else {
            let doubles = UnsafeMutablePointer<Double>.allocate(capacity: count)
            defer { doubles.deallocate() }
            dtype.decode(from, count: count, into: doubles)
            target.encode(doubles, count: count, into: to)
        }
        return result
    }

    /// ``assign(from:)`` for any pair of dtypes: the source converted to this array's
    /// dtype, then copied element by element through the strides.
    func assignAnyDType(from source: NDArray) {
        let source = source.dtype == dtype ? source : source.converted(to: dtype)
        switch dtype.itemSize {
        case 8: copyElements(of: UInt64.self, from: source)
        case 4: copyElements(of: UInt32.self, from: source)
        case 2: copyElements(of: UInt16.self, from: source)
        default: copyElements(of: UInt8.self, from: source)
        }
    }

    /// Copies `source` (same dtype, broadcast to this shape) as elements of `T`'s width.
    private func copyElements<T>(of _: T.Type, from source: NDArray) {
        let sourceLayout = source.layout.broadcast(to: shape)
        let src = source.storage.raw.assumingMemoryBound(to: T.self)
        let dst = storage.raw.assumingMemoryBound(to: T.self)
        let length = layout.rowLength, srcStride = sourceLayout.rowStride, dstStride = layout.rowStride
        forEachRow(
            shape: shape, sourceLayout.strides, sourceLayout.offset, layout.strides, layout.offset, layout.strides, 0
        ) { s, d, _ in
            for i in 0..<length { dst[d + i * dstStride] = src[s + i * srcStride] }
        }
    }
}

extension NDArray {
    /// The element at row-major position `index` (whatever the strides), as a double.
    public func element(at index: Int) -> Double {
        var value = 0.0
        dtype.decode(elementPointer(index), count: 1, into: &value)
        return value
    }

    /// Writes `value` (rounded to the dtype) at row-major position `index`, whatever the
    /// strides, into the shared storage.
    public func setElement(at index: Int, to value: Double) {
        var value = value
        dtype.encode(&value, count: 1, into: elementPointer(index))
    }

    /// The address of the element at row-major position `index`.
    private func elementPointer(_ index: Int) -> UnsafeMutableRawPointer {
        var remainder = index, offset = layout.offset
        for dim in stride(from: rank - 1, through: 0, by: -1) {
            offset += (remainder % shape[dim]) * layout.strides[dim]
            remainder /= shape[dim]
        }
        return storage.raw + offset * dtype.itemSize
    }
}
