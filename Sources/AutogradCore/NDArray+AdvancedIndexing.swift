import CAutogradKernels

/// Where the elements of an advanced-indexing result sit in the indexed array: the result
/// is `outer × index × inner`, and its element `(o, x, i)` is at
/// `outerOffsets[o] + indexOffsets[x] + innerOffsets[i]` (element offsets from the
/// array's first element; inner offsets consecutive when ``innerOffsets`` is nil).
///
/// With consecutive indexed dimensions, `outer` is the dimensions before them and the
/// index shape takes their place; otherwise the index shape comes first and `outer` is
/// empty, as in NumPy and PyTorch.
struct IndexGeometry {
    /// The result's shape.
    let resultShape: [Int]
    /// One offset per position of the outer dimensions.
    let outerOffsets: [Int64]
    /// One offset per position of the index shape.
    let indexOffsets: [Int64]
    /// One offset per position of the inner dimensions, or nil when they are contiguous.
    let innerOffsets: [Int64]?
    /// The number of inner positions.
    let innerCount: Int

    /// The geometry of indexing an array laid out as `layout` with `indices`.
    init(_ layout: Layout, _ indices: AdvancedIndices) {
        let (outer, inner) = IndexGeometry.remainingDimensions(rank: layout.rank, indices)
        let shape = layout.shape, strides = layout.strides
        resultShape = outer.map { shape[$0] } + indices.shape + inner.map { shape[$0] }
        outerOffsets = IndexGeometry.offsets(outer.map { shape[$0] }, outer.map { strides[$0] })
        let innerShape = inner.map { shape[$0] }, innerStrides = inner.map { strides[$0] }
        innerCount = innerShape.reduce(1, *)
        innerOffsets = Layout(shape: innerShape, strides: innerStrides, offset: 0).isContiguous
            ? nil : IndexGeometry.offsets(innerShape, innerStrides)
        // Σ_k positions[k] · stride(dims[k]), one index array at a time.
        let count = indices.count
        var offsets = [Int64](repeating: 0, count: count)
        let positions = indices.stacked.rawPointer.assumingMemoryBound(to: Int64.self)
        offsets.withUnsafeMutableBufferPointer { out in
            for (k, dim) in indices.dims.enumerated() {
                let stride = Int64(strides[dim]), row = positions + k * count
                for x in 0..<count { out[x] += row[x] &* stride }
            }
        }
        indexOffsets = offsets
    }

    /// The result shape of indexing an array of `shape` with `indices`.
    static func resultShape(_ shape: [Int], _ indices: AdvancedIndices) -> [Int] {
        let (outer, inner) = remainingDimensions(rank: shape.count, indices)
        return outer.map { shape[$0] } + indices.shape + inner.map { shape[$0] }
    }

    /// The dimensions that are not indexed, split into those before the index shape in
    /// the result and those after it.
    private static func remainingDimensions(rank: Int, _ indices: AdvancedIndices) -> (outer: [Int], inner: [Int]) {
        let indexed = Set(indices.dims)
        let outer = indices.adjacent ? Array(0..<(indices.dims.first ?? 0)) : []
        let inner = (0..<rank).filter { !indexed.contains($0) && !outer.contains($0) }
        return (outer, inner)
    }

    /// The offsets of every position of `shape` (row-major) through `strides`.
    private static func offsets(_ shape: [Int], _ strides: [Int]) -> [Int64] {
        let count = shape.reduce(1, *)
        var result = [Int64](repeating: 0, count: count)
        guard count > 0, !shape.isEmpty else { return result }
        var coordinates = [Int](repeating: 0, count: shape.count)
        var offset = 0
        result.withUnsafeMutableBufferPointer { out in
            for position in 0..<count {
                out[position] = Int64(offset)
                var d = shape.count - 1
                while d >= 0 {
                    coordinates[d] += 1
                    offset += strides[d]
                    if coordinates[d] < shape[d] { break }
                    offset -= strides[d] * shape[d]
                    coordinates[d] = 0
                    d -= 1
                }
            }
        }
        return result
    }
}

extension NDArray {
    /// The elements at `indices`, like PyTorch's `index` (`x[idx]`, `x[mask]`): a new
    /// contiguous array of ``IndexGeometry``'s result shape.
    public func indexed(_ indices: AdvancedIndices) -> NDArray {
        let geometry = IndexGeometry(layout, indices)
        let result = NDArray(uninitialized: geometry.resultShape, dtype: dtype)
        geometry.outerOffsets.withUnsafeBufferPointer { outer in
            geometry.indexOffsets.withUnsafeBufferPointer { index in
                withOptionalPointer(geometry.innerOffsets) { inner in
                    ag_index_gather_offsets(
                        rawPointer, result.storage.raw, Int64(dtype.itemSize),
                        Int64(outer.count), outer.baseAddress, Int64(index.count), index.baseAddress,
                        Int64(geometry.innerCount), inner)
                }
            }
        }
        return result
    }

    /// The shape of ``indexed(_:)``'s result.
    public func indexedShape(_ indices: AdvancedIndices) -> [Int] { IndexGeometry.resultShape(shape, indices) }

    /// A copy of this array with `values` written at `indices` (added when `accumulate`),
    /// like `x.index_put(indices, values, accumulate)`. `values` is converted to this
    /// array's dtype and broadcast to the shape ``indexed(_:)`` would give, after leading
    /// size-1 dimensions are dropped (as PyTorch's assignment does). Without
    /// `accumulate`, the last of repeated positions wins.
    ///
    /// - Throws: ``ShapeError/indexPutValueShape(value:result:)`` when the values do not
    ///   broadcast to that shape.
    public func indexPut(_ indices: AdvancedIndices, values: NDArray, accumulate: Bool) throws(ShapeError) -> NDArray {
        let resultShape = indexedShape(indices)
        let dropped = values.shape.prefix { $0 == 1 }.count
        let valueLayout = Layout(
            shape: Array(values.shape.dropFirst(dropped)), strides: Array(values.layout.strides.dropFirst(dropped)),
            offset: values.layout.offset)
        try AdvancedIndices.checkValues(values.shape, broadcastTo: resultShape)
        let (compute, kind) = accumulate ? dtype.accumulation : (dtype, AG_ELEMENT_INT64)
        let output = NDArray(uninitialized: shape, dtype: compute)
        output.assign(from: self)
        let contiguousValues = NDArray(uninitialized: resultShape, dtype: compute)
        contiguousValues.assign(from: NDArray(storage: values.storage, layout: valueLayout))
        let geometry = IndexGeometry(output.layout, indices)
        geometry.outerOffsets.withUnsafeBufferPointer { outer in
            geometry.indexOffsets.withUnsafeBufferPointer { index in
                withOptionalPointer(geometry.innerOffsets) { inner in
                    ag_index_put_offsets(
                        output.storage.raw, contiguousValues.storage.raw, Int64(compute.itemSize), kind, accumulate,
                        Int64(outer.count), outer.baseAddress, Int64(index.count), index.baseAddress,
                        Int64(geometry.innerCount), inner)
                }
            }
        }
        return compute == dtype ? output : output.converted(to: dtype)
    }
}

extension DType {
    /// The dtype additions into elements of this dtype run in, with its kernel kind:
    /// float32 for the two-byte floats, int64 for every integer dtype and bool.
    var accumulation: (DType, Int32) {
        switch self {
        case .float32, .float16, .bfloat16: return (.float32, AG_ELEMENT_FLOAT32)
        case .float64: return (.float64, AG_ELEMENT_FLOAT64)
        default: return (.int64, AG_ELEMENT_INT64)
        }
    }
}

/// Calls `body` with a pointer to `values`' elements, or with nil when `values` is nil.
func withOptionalPointer<R>(_ values: [Int64]?, _ body: (UnsafePointer<Int64>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
