import CAutogradKernels

/// Gathering and scattering along one dimension through an index array of the same rank
/// (`torch.gather`, `scatter`, `scatter_add`). A 0-d operand counts as one element along
/// one dimension, as in PyTorch.
extension NDArray {
    /// The elements picked along `dim` (normalised) by `index`, like `torch.gather`:
    /// `result[p] = self[p with index[p] at dim]`, of `index`'s shape and this dtype.
    ///
    /// - Throws: ``ShapeError`` naming `gather` for an index that is not int64 or int32,
    ///   of another rank, larger than this array outside `dim`, or with a value outside
    ///   `0..<shape[dim]`.
    public func gathered(dim: Int, index: NDArray) throws(ShapeError) -> NDArray {
        guard index.dtype == .int64 || index.dtype == .int32 else { throw .invalidIndexDType(op: "gather", index.dtype) }
        let source = layout.atLeastOneDimension, positions = index.layout.atLeastOneDimension
        guard positions.rank == source.rank else { throw .indexRankMismatch(operand: "input") }
        for d in 0..<source.rank where d != dim && positions.shape[d] > source.shape[d] {
            throw .gatherIndexTooLarge(index: index.shape, input: shape, dim: dim, at: d)
        }
        let result = NDArray(uninitialized: index.shape, dtype: dtype)
        let indexValues = index.converted(to: .int64)
        let plain = Layout(contiguous: positions.shape)
        let bad = NDArray.alongDimension(
            AG_ALONG_DIM_GATHER, kind: 0, elementSize: dtype.itemSize, shape: positions.shape, dim: dim,
            dimSize: source.shape[dim], index: indexValues, indexed: rawPointer, indexedStrides: source.strides,
            plain: result.storage.raw, plainStrides: plain.strides)
        if let bad { throw .indexOutOfBounds(op: "gather", index: bad, dim: dim, size: source.shape[dim]) }
        return result
    }

    /// A copy of this array with the elements of `source` written along `dim` at `index`,
    /// like `torch.scatter` (`result[p with index[p] at dim] = source[p]` for every
    /// position `p` of `index`), or added there when `accumulate` (`scatter_add`).
    ///
    /// - Throws: ``ShapeError`` naming `op` for an index that is not int64 or int32, a
    ///   source of another dtype, ranks that differ, an index larger than the source or
    ///   (outside `dim`) than this array, or a value outside `0..<shape[dim]`.
    public func scattered(dim: Int, index: NDArray, source: NDArray, accumulate: Bool) throws(ShapeError) -> NDArray {
        let op = accumulate ? "scatter_add" : "scatter"
        guard index.dtype == .int64 || index.dtype == .int32 else { throw .invalidIndexDType(op: op, index.dtype) }
        guard source.dtype == dtype else { throw .sourceDTypeMismatch(op: op, destination: dtype, source: source.dtype) }
        let target = layout.atLeastOneDimension, positions = index.layout.atLeastOneDimension
        let values = source.layout.atLeastOneDimension
        guard positions.rank == target.rank else { throw .indexRankMismatch(operand: "self") }
        guard positions.rank == values.rank else { throw .indexRankMismatch(operand: "src") }
        for d in 0..<target.rank
        where positions.shape[d] > values.shape[d] || (d != dim && positions.shape[d] > target.shape[d]) {
            throw .scatterIndexTooLarge(index: index.shape, destination: shape, source: source.shape, dim: dim)
        }
        let (compute, kind) = accumulate ? dtype.accumulation : (dtype, AG_ELEMENT_INT64)
        let output = NDArray(uninitialized: shape, dtype: compute)
        output.assign(from: self)
        let sourceValues = compute == source.dtype ? source : source.converted(to: compute)
        let sourceLayout = sourceValues.layout.atLeastOneDimension
        let indexValues = index.converted(to: .int64)
        let bad = NDArray.alongDimension(
            accumulate ? AG_ALONG_DIM_SCATTER_ADD : AG_ALONG_DIM_SCATTER, kind: kind, elementSize: compute.itemSize,
            shape: positions.shape, dim: dim, dimSize: target.shape[dim], index: indexValues,
            indexed: output.storage.raw, indexedStrides: Layout(contiguous: target.shape).strides,
            plain: sourceValues.rawPointer, plainStrides: sourceLayout.strides)
        if let bad { throw .indexOutOfBounds(op: op, index: bad, dim: dim, size: target.shape[dim]) }
        return compute == dtype ? output : output.converted(to: dtype)
    }

    /// Runs the gather/scatter kernel; returns the first index value out of range, if any.
    private static func alongDimension(
        _ mode: ag_along_dim_mode, kind: Int32, elementSize: Int, shape: [Int], dim: Int, dimSize: Int,
        index: NDArray, indexed: UnsafeMutableRawPointer, indexedStrides: [Int],
        plain: UnsafeMutableRawPointer, plainStrides: [Int]
    ) -> Int? {
        checkUsage(shape.count <= Int(AG_INDEX_MAX_RANK), "gather/scatter: at most \(AG_INDEX_MAX_RANK) dimensions are supported")
        let shape64 = shape.map(Int64.init), indexStrides = Layout(contiguous: shape).strides.map(Int64.init)
        let indexedStrides64 = indexedStrides.map(Int64.init), plainStrides64 = plainStrides.map(Int64.init)
        let indexPointer = index.rawPointer.assumingMemoryBound(to: Int64.self)
        let bad = ag_index_along_dimension(
            mode, kind, Int64(elementSize), Int64(shape.count), shape64, Int64(dim), Int64(dimSize),
            indexPointer, indexStrides, indexed, indexedStrides64, plain, plainStrides64)
        return bad < 0 ? nil : Int(indexPointer[Int(bad)])
    }
}

extension Layout {
    /// This layout, or a one-element one-dimensional layout for a 0-d array.
    var atLeastOneDimension: Layout {
        rank > 0 ? self : Layout(shape: [1], strides: [1], offset: offset)
    }
}
