/// An n-dimensional array of elements of one ``DType``: a ``Storage`` seen through a ``Layout``.
///
/// The CPU backend of the library. It knows nothing about gradients: every function
/// here computes a value, and the autograd layer above decides what to record.
public struct NDArray: @unchecked Sendable {
    /// The shared buffer holding the elements.
    public let storage: Storage
    /// Where this array's elements sit in `storage`.
    public var layout: Layout

    /// An array viewing `storage` through `layout`.
    public init(storage: Storage, layout: Layout) {
        self.storage = storage
        self.layout = layout
    }

    /// A new contiguous array holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        checkUsage(
            shape.reduce(1, *) == scalars.count,
            "tensor: shape \(shape) needs \(shape.reduce(1, *)) values but \(scalars.count) were given")
        checkUsage(shape.allSatisfy { $0 >= 0 }, "tensor: negative size in shape \(shape)")
        self.init(storage: Storage.copying(scalars), layout: Layout(contiguous: shape))
    }

    /// A new contiguous array of zeros.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(storage: Storage.zeros(shape.reduce(1, *), dtype: dtype), layout: Layout(contiguous: shape))
    }

    /// A new contiguous array with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        let count = shape.reduce(1, *)
        let storage = Storage.uninitialized(count)
        storage.base.update(repeating: value, count: count)
        self.init(storage: storage, layout: Layout(contiguous: shape))
    }

    /// A new contiguous array whose values the caller writes through `storage.base` (or
    /// `storage.raw` for other dtypes than float32).
    public init(uninitialized shape: [Int], dtype: DType = .float32) {
        self.init(storage: Storage.uninitialized(shape.reduce(1, *), dtype: dtype), layout: Layout(contiguous: shape))
    }

    /// The size of each dimension.
    public var shape: [Int] { layout.shape }
    /// The number of dimensions.
    public var rank: Int { layout.rank }
    /// The number of elements.
    public var count: Int { layout.count }

    /// A pointer to the first element (at the layout's offset) of a float32 array.
    public var pointer: UnsafeMutablePointer<Float> {
        assert(dtype == .float32, "pointer: a \(dtype) array has no Float elements")
        return storage.base + layout.offset
    }

    /// The elements in row-major order, whatever the strides, converted to `Float`.
    public var scalars: [Float] {
        let source = contiguous()
        if dtype == .float32 { return Array(UnsafeBufferPointer(start: source.pointer, count: source.count)) }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            dtype.decodeFloats(source.rawPointer, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The single element of a one-element array, converted to `Float`.
    public var scalarValue: Float {
        checkUsage(count == 1, "item: a Tensor with \(count) elements cannot be converted to Scalar")
        return dtype == .float32 ? pointer.pointee : scalars[0]
    }

    /// This array if its layout is already row-major, otherwise a row-major copy.
    public func contiguous() -> NDArray {
        if layout.isContiguous { return self }
        let result = NDArray(uninitialized: shape, dtype: dtype)
        result.assign(from: self)
        return result
    }

    /// Copies `source` (broadcast to this array's shape, converted to this array's dtype)
    /// into the elements this array views.
    public func assign(from source: NDArray) {
        guard dtype == .float32 && source.dtype == .float32 else { return assignAnyDType(from: source) }
        let sourceLayout = source.layout.broadcast(to: shape)
        if source.storage !== storage, sourceLayout.isContiguous, layout.isContiguous {
            // One run each (a gradient kept as a leaf's `grad`, say): split over the threads
            // when long. Different storages never overlap.
            let src = source.storage.base + sourceLayout.offset, dst = storage.base + layout.offset
            forEachChunk(count) { start, length in (dst + start).update(from: src + start, count: length) }
            return
        }
        if copyMatrices(from: source.storage.base, sourceLayout) { return }
        let src = source.storage.base, dst = storage.base
        let length = layout.rowLength
        let srcStride = sourceLayout.rowStride, dstStride = layout.rowStride
        let sourceStrides = sourceLayout.strides, strides = layout.strides
        let copyRows = { (shape: [Int], sourceOffset: Int, offset: Int) in
            forEachRow(shape: shape, sourceStrides, sourceOffset, strides, offset, strides, 0) { s, d, _ in
                if srcStride == 1 && dstStride == 1 {
                    (dst + d).update(from: src + s, count: length)
                } else if srcStride == 0 && dstStride == 1 {
                    (dst + d).update(repeating: src[s], count: length)
                } else {
                    for i in 0..<length { dst[d + i * dstStride] = src[s + i * srcStride] }
                }
            }
        }
        // A contiguous destination in another storage takes its rows in any order: a long
        // copy (a transposed tensor made contiguous, say) is split over the threads along
        // the outermost dimension.
        let parts = source.storage !== storage && layout.isContiguous && rank >= 2 && count >= parallelElementwiseMinimum
            ? Swift.min(Kernels.threadCount, shape[0]) : 1
        guard parts > 1 else { return copyRows(shape, sourceLayout.offset, layout.offset) }
        parallelFor(parts) { part in
            let first = shape[0] * part / parts
            var partShape = shape
            partShape[0] = shape[0] * (part + 1) / parts - first
            copyRows(partShape, sourceLayout.offset + first * sourceStrides[0], layout.offset + first * strides[0])
        }
    }

    /// A deep copy with a fresh contiguous storage.
    public func copy() -> NDArray {
        let result = NDArray(uninitialized: shape, dtype: dtype)
        result.assign(from: self)
        return result
    }
}
