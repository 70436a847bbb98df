/// Shape ops beyond plain views: repetition, flipping, rolling, triangles and diagonals.
/// Each works on every dtype by moving elements through strided layouts (no per-element
/// closure): a copy through a layout that repeats, reverses or offsets the source.
extension NDArray {
    /// The array repeated `repeats[i]` times along dimension `i`, like `Tensor.repeat`:
    /// missing leading dimensions count as size 1, so `repeats` may be longer than the rank.
    ///
    /// - Throws: ``ShapeError/repeatTooFewDimensions(repeats:rank:)`` when `repeats` is
    ///   shorter than the rank, ``ShapeError/negativeDimension(op:shape:)`` for a negative
    ///   repetition.
    public func repeated(_ repeats: [Int]) throws(ShapeError) -> NDArray {
        guard repeats.count >= rank else { throw .repeatTooFewDimensions(repeats: repeats, rank: rank) }
        let lead = repeats.count - rank
        let paddedShape = [Int](repeating: 1, count: lead) + shape
        let paddedStrides = [Int](repeating: 0, count: lead) + layout.strides
        let resultShape = Swift.zip(repeats, paddedShape).map { $0 * $1 }
        guard repeats.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(op: "repeat", shape: resultShape) }
        // [r0, s0, r1, s1, ...] with stride 0 along each repetition, copied row-major.
        var viewShape: [Int] = [], viewStrides: [Int] = []
        for i in 0..<repeats.count {
            viewShape += [repeats[i], paddedShape[i]]
            viewStrides += [0, paddedStrides[i]]
        }
        let view = NDArray(storage: storage, layout: Layout(shape: viewShape, strides: viewStrides, offset: layout.offset))
        let copy = view.copy()
        return NDArray(storage: copy.storage, layout: Layout(contiguous: resultShape))
    }

    /// A copy with the order of the elements reversed along each of `dims` (normalised,
    /// distinct), like `torch.flip`.
    public func flipped(dims: [Int]) -> NDArray {
        var reversed = layout
        var strides = layout.strides
        for dim in dims where shape[dim] > 0 {
            reversed.offset += (shape[dim] - 1) * strides[dim]
            strides[dim] = -strides[dim]
        }
        reversed.strides = strides
        return NDArray(storage: storage, layout: reversed).copy()
    }

    /// A copy with the elements shifted by `shifts[i]` positions along `dims[i]`
    /// (normalised), those pushed past the end coming back at the start, like `torch.roll`.
    /// With no `dims` the array is rolled as if flattened.
    public func rolled(shifts: [Int], dims: [Int]) -> NDArray {
        if dims.isEmpty {
            let flat = contiguous()
            let line = NDArray(storage: flat.storage, layout: Layout(contiguous: [count], offset: flat.layout.offset))
            let result = line.rolled(shifts: shifts, dims: [0])
            return NDArray(storage: result.storage, layout: Layout(contiguous: shape))
        }
        var result = self
        for (shift, dim) in Swift.zip(shifts, dims) { result = result.rolled(by: shift, dim: dim) }
        return result
    }

    /// A copy rolled by `shift` along one dimension: two block copies.
    private func rolled(by shift: Int, dim: Int) -> NDArray {
        let size = shape[dim]
        let result = NDArray(uninitialized: shape, dtype: dtype)
        guard size > 0 else { return result }
        let s = ((shift % size) + size) % size
        func part(_ array: NDArray, _ start: Int, _ end: Int) -> NDArray {
            var cut = array.layout
            cut.offset += start * cut.strides[dim]
            cut.shape[dim] = end - start
            return NDArray(storage: array.storage, layout: cut)
        }
        part(result, s, size).assign(from: part(self, 0, size - s))
        if s > 0 { part(result, 0, s).assign(from: part(self, size - s, size)) }
        return result
    }

    /// A copy keeping the lower (or upper) triangle of each matrix in the last two
    /// dimensions and zeroing the rest, like `torch.tril` / `torch.triu`: element `(i, j)`
    /// is kept when `j - i <= diagonal` (lower) or `j - i >= diagonal` (upper).
    ///
    /// - Throws: ``ShapeError/triangleNeedsMatrix(op:rank:)`` below two dimensions.
    public func triangle(upper: Bool, diagonal: Int) throws(ShapeError) -> NDArray {
        guard rank >= 2 else { throw .triangleNeedsMatrix(op: upper ? "triu" : "tril", rank: rank) }
        let result = copy()
        let rows = shape[rank - 2], columns = shape[rank - 1]
        let matrices = rows * columns == 0 ? 0 : count / (rows * columns)
        let itemSize = dtype.itemSize
        let base = result.storage.raw
        for matrix in 0..<matrices {
            for i in 0..<rows {
                // The columns to zero in row i.
                let (start, end) = upper
                    ? (0, Swift.min(columns, Swift.max(0, i + diagonal)))
                    : (Swift.min(columns, Swift.max(0, i + diagonal + 1)), columns)
                guard end > start else { continue }
                let position = (matrix * rows + i) * columns + start
                (base + position * itemSize).initializeMemory(as: UInt8.self, repeating: 0, count: (end - start) * itemSize)
            }
        }
        return result
    }

    /// The diagonal of the matrices spanned by `dim1` and `dim2` (normalised, distinct), as
    /// a view: those dimensions are removed and the diagonal becomes the last one, like
    /// `torch.diagonal`. `offset` > 0 takes a diagonal above the main one, < 0 below.
    public func diagonalView(offset: Int, dim1: Int, dim2: Int) -> NDArray {
        let size1 = shape[dim1], size2 = shape[dim2]
        let length = offset >= 0
            ? Swift.max(Swift.min(size1, size2 - offset), 0)
            : Swift.max(Swift.min(size1 + offset, size2), 0)
        var result = layout
        let strides = layout.strides
        if length > 0 { result.offset += offset >= 0 ? offset * strides[dim2] : -offset * strides[dim1] }
        var newShape: [Int] = [], newStrides: [Int] = []
        for d in 0..<rank where d != dim1 && d != dim2 {
            newShape.append(shape[d])
            newStrides.append(strides[d])
        }
        result.shape = newShape + [length]
        result.strides = newStrides + [strides[dim1] + strides[dim2]]
        return NDArray(storage: storage, layout: result)
    }

    /// Dimension `dim` split into `sizes` (one may be -1), as a view whatever the strides,
    /// like `torch.unflatten`.
    ///
    /// - Throws: ``ShapeError`` when `sizes` is empty, has two -1s, or does not multiply up
    ///   to the size of `dim`.
    public func unflattened(dim: Int, sizes: [Int]) throws(ShapeError) -> NDArray {
        guard !sizes.isEmpty else { throw .unflattenEmptySizes }
        guard rank > 0 else { throw .dimensionOfScalar(op: "unflatten", dim: dim) }
        let d = try normalizedDimension(dim, rank: rank, op: "unflatten")
        let size = shape[d]
        var resolved = sizes
        let inferred = sizes.indices.filter { sizes[$0] == -1 }
        guard inferred.count <= 1 else { throw .multipleInferredDimensions(op: "unflatten") }
        if let i = inferred.first {
            let known = sizes.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known != 0, size % known == 0 else { throw .unflattenSizes(sizes: sizes, dim: d, size: size) }
            resolved[i] = size / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == size else {
            throw .unflattenSizes(sizes: sizes, dim: d, size: size)
        }
        var splitStrides = [Int](repeating: layout.strides[d], count: resolved.count)
        for i in stride(from: resolved.count - 2, through: 0, by: -1) { splitStrides[i] = splitStrides[i + 1] * resolved[i + 1] }
        var strides = layout.strides
        strides.replaceSubrange(d...d, with: splitStrides)
        var newShape = shape
        newShape.replaceSubrange(d...d, with: resolved)
        return NDArray(storage: storage, layout: Layout(shape: newShape, strides: strides, offset: layout.offset))
    }

    /// This array written on the `offset` diagonal of the matrices spanned by `dim1` and
    /// `dim2` inside zeros of `shape`: the adjoint of ``diagonalView(offset:dim1:dim2:)``.
    public func embeddedOnDiagonal(of shape: [Int], offset: Int, dim1: Int, dim2: Int) -> NDArray {
        let result = NDArray(zeros: shape, dtype: dtype)
        result.diagonalView(offset: offset, dim1: dim1, dim2: dim2).assign(from: self)
        return result
    }
}
