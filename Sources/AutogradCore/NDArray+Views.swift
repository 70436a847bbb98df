/// Views: new layouts over the same storage, no copying (except `reshaped` of an array
/// whose strides allow no view, which copies as PyTorch's `reshape` does).
extension NDArray {
    /// Resolves one `-1` in `shape` against `count` elements and checks the total.
    public static func resolveShape(_ shape: [Int], count: Int, op: String) throws(ShapeError) -> [Int] {
        var resolved = shape
        let inferred = shape.indices.filter { shape[$0] == -1 }
        guard inferred.count <= 1 else { throw .multipleInferredDimensions(op: op) }
        if let dim = inferred.first {
            let known = shape.enumerated().filter { $0.offset != dim }.reduce(1) { $0 * $1.element }
            guard known != 0, count % known == 0 else {
                throw .invalidShape(op: op, shape: shape, count: count)
            }
            resolved[dim] = count / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == count else {
            throw .invalidShape(op: op, shape: shape, count: count)
        }
        return resolved
    }

    /// The same elements in a new shape (one size may be -1): a view whenever the strides
    /// allow one (always for a contiguous array; for a strided one when each group of
    /// merged or split dimensions is itself contiguous, as PyTorch's `reshape` decides),
    /// otherwise a contiguous copy.
    public func reshaped(_ shape: [Int]) throws(ShapeError) -> NDArray {
        let target = try NDArray.resolveShape(shape, count: count, op: "reshape")
        if let view = reshapedView(target) { return view }
        let source = contiguous()
        return NDArray(storage: source.storage, layout: Layout(contiguous: target, offset: source.layout.offset))
    }

    /// This array's storage seen in `shape` (sizes already resolved, same element count),
    /// or nil when no strides allow that view (see ``reshaped(_:)``).
    public func reshapedView(_ shape: [Int]) -> NDArray? {
        if layout.isContiguous {
            return NDArray(storage: storage, layout: Layout(contiguous: shape, offset: layout.offset))
        }
        guard let strides = layout.viewStrides(for: shape) else { return nil }
        return NDArray(storage: storage, layout: Layout(shape: shape, strides: strides, offset: layout.offset))
    }

    /// Swaps two dimensions.
    public func transposed(_ dim0: Int, _ dim1: Int) throws(ShapeError) -> NDArray {
        let a = try normalizedDimension(dim0, rank: rank, op: "transpose")
        let b = try normalizedDimension(dim1, rank: rank, op: "transpose")
        var result = self
        if rank == 0 { return result }
        result.layout.shape.swapAt(a, b)
        result.layout.strides.swapAt(a, b)
        return result
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `dims[i]` of this.
    public func permuted(_ dims: [Int]) throws(ShapeError) -> NDArray {
        guard dims.count == rank else {
            throw .permuteRankMismatch(dims: dims, shape: shape)
        }
        var normalized: [Int] = []
        for dim in dims { normalized.append(try normalizedDimension(dim, rank: rank, op: "permute")) }
        guard Set(normalized).count == rank else {
            throw .permuteRepeatedDimension(dims: dims)
        }
        return NDArray(
            storage: storage,
            layout: Layout(
                shape: normalized.map { layout.shape[$0] }, strides: normalized.map { layout.strides[$0] },
                offset: layout.offset))
    }

    /// The sub-array at `index` along `dim`, which drops that dimension.
    public func selected(dim: Int, index: Int) throws(ShapeError) -> NDArray {
        guard rank > 0 else { throw .zeroDimensionalIndex(op: "select") }
        let d = try normalizedDimension(dim, rank: rank, op: "select")
        let size = shape[d]
        guard index >= -size && index < size else {
            throw .indexOutOfBounds(op: "select", index: index, dim: d, size: size)
        }
        let i = index < 0 ? index + size : index
        var result = layout
        result.offset += i * layout.strides[d]
        result.shape.remove(at: d)
        result.strides.remove(at: d)
        return NDArray(storage: storage, layout: result)
    }

    /// The elements `start..<end` along `dim` (bounds clamped, as Python slicing does).
    public func sliced(dim: Int, start: Int, end: Int) throws(ShapeError) -> NDArray {
        guard rank > 0 else { throw .zeroDimensionalSlice(op: "slice") }
        let d = try normalizedDimension(dim, rank: rank, op: "slice")
        let (lower, upper) = NDArray.clampedRange(start: start, end: end, size: shape[d])
        var result = layout
        result.offset += lower * layout.strides[d]
        result.shape[d] = upper - lower
        return NDArray(storage: storage, layout: result)
    }

    /// Python's slice bounds: negatives count from the end, then both clamp to the size.
    public static func clampedRange(start: Int, end: Int, size: Int) -> (Int, Int) {
        func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let lower = clamp(start)
        return (lower, Swift.max(clamp(end), lower))
    }

    /// This array broadcast to `shape` (size -1 keeps a dimension), with stride 0 where it
    /// repeats.
    public func expanded(_ shape: [Int]) throws(ShapeError) -> NDArray {
        guard shape.count >= rank else {
            throw .expandTooFewSizes(sizes: shape, rank: rank)
        }
        let lead = shape.count - rank
        var target = shape
        for i in 0..<shape.count {
            let own = i >= lead ? self.shape[i - lead] : nil
            if shape[i] == -1 {
                guard let own else { throw .expandInferredLeadingDimension }
                target[i] = own
            } else if let own, own != 1, own != shape[i] {
                throw .expandSizeMismatch(sizes: shape, shape: self.shape, dim: i)
            }
        }
        return NDArray(storage: storage, layout: layout.broadcast(to: target))
    }

    /// Removes dimension `dim` if its size is 1 (otherwise returns the array unchanged).
    public func squeezed(dim: Int) throws(ShapeError) -> NDArray {
        let d = try normalizedDimension(dim, rank: rank, op: "squeeze")
        guard rank > 0, shape[d] == 1 else { return self }
        var result = layout
        result.shape.remove(at: d)
        result.strides.remove(at: d)
        return NDArray(storage: storage, layout: result)
    }

    /// Removes every dimension of size 1.
    public func squeezed() -> NDArray {
        let kept = shape.indices.filter { shape[$0] != 1 }
        return NDArray(
            storage: storage,
            layout: Layout(shape: kept.map { shape[$0] }, strides: kept.map { layout.strides[$0] }, offset: layout.offset))
    }

    /// Inserts a dimension of size 1 at `dim` (which may be `rank`, or negative).
    public func unsqueezed(dim: Int) throws(ShapeError) -> NDArray {
        let d = try normalizedDimension(dim, rank: rank + 1, op: "unsqueeze")
        var result = layout
        let stride = d < rank ? layout.strides[d] * shape[d] : 1
        result.shape.insert(1, at: d)
        result.strides.insert(stride, at: d)
        return NDArray(storage: storage, layout: result)
    }
}
