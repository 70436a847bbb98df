import AutogradCore

// Gathering and scattering through index tensors (int64, or int32 as PyTorch also
// takes), each recorded with PyTorch's node.
extension Tensor {
    /// The elements picked along `dim` by `index`, like `torch.gather`:
    /// `result[i][j] = self[i][index[i][j]]` for `dim` 1 of a matrix. The result has
    /// `index`'s shape; `index` has this tensor's rank and is no larger outside `dim`.
    /// Recorded as `GatherBackward0` (the gradient is scatter-added back).
    /// ```swift
    /// Tensor([[1.0, 2.0], [3.0, 4.0]]).gather(dim: 1, index: Tensor([[0, 0], [1, 0]]))   // [[1, 1], [4, 3]]
    /// ```
    public func gather(dim: Int, index: Tensor) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "gather") }
        let value = trapOnShapeError { () throws(ShapeError) in try array.gathered(dim: d, index: index.array) }
        return Tensor.record(value, .gather(dim: d), input: self, auxiliary: .array(index.array.converted(to: .int64)))
    }

    /// A copy with `source`'s elements written along `dim` at `index`, like
    /// `torch.scatter`: `result[i][index[i][j]] = source[i][j]` for `dim` 1 of a matrix.
    /// `source` has this tensor's dtype; `index` is no larger than `source`, nor than this
    /// tensor outside `dim`. Where an index repeats, one of the values wins (the last, here).
    /// Recorded as `ScatterBackward0`: the overwritten elements get no gradient, `source`
    /// gets the gradient gathered from where it went.
    public func scatter(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        scattered(dim: dim, index: index, source: source, accumulate: false)
    }

    /// A copy with `source`'s elements added along `dim` at `index`, like
    /// `torch.scatter_add`: `result[i][index[i][j]] += source[i][j]` for `dim` 1 of a
    /// matrix; repeated indices add up. Recorded as `ScatterAddBackward0`.
    public func scatterAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        scattered(dim: dim, index: index, source: source, accumulate: true)
    }

    /// ``scatter(dim:index:source:)`` or ``scatterAdd(dim:index:source:)``.
    private func scattered(dim: Int, index: Tensor, source: Tensor, accumulate: Bool) -> Tensor {
        let op = accumulate ? "scatter_add" : "scatter"
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: op) }
        let value = trapOnShapeError { () throws(ShapeError) in
            try array.scattered(dim: d, index: index.array, source: source.array, accumulate: accumulate)
        }
        let positions = SavedAuxiliary.array(index.array.converted(to: .int64))
        return Tensor.record(value, accumulate ? .scatterAdd(dim: d) : .scatter(dim: d), self, source, auxiliary: positions)
    }

    /// The entries at the positions of `index` (a one-dimensional int64 tensor) along
    /// `dim`, like `torch.index_select`; recorded as `IndexSelectBackward0`.
    /// ```swift
    /// x.indexSelect(dim: 1, index: Tensor([3, 0]))   // columns 3 and 0
    /// ```
    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        indexSelect(dim: dim, indices: Tensor.positions(index, op: "index_select"))
    }

    /// A copy with the slices of `source` along `dim` added at the positions of `index`
    /// (a one-dimensional int64 tensor), like `torch.index_add`: slice `j` of `source` is
    /// added to slice `index[j]`, and repeated positions add up. `source` has this
    /// tensor's dtype and shape except along `dim`, where it has one slice per index.
    /// Recorded as `IndexAddBackward0`.
    public func indexAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        checkUsage(rank > 0, "index_add(): cannot index a 0-dim tensor")
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "index_add") }
        let positions = Tensor.positions(index, op: "index_add_")
        let value = trapOnShapeError { () throws(ShapeError) in
            guard source.dtype == dtype else {
                throw .sourceDTypeMismatch(op: "index_add_", destination: dtype, source: source.dtype)
            }
            let sourceSize = source.rank == 0 ? 1 : source.shape[Swift.min(d, source.rank - 1)]
            guard positions.count == sourceSize else {
                throw .indexCountMismatch(op: "index_add_", count: positions.count, sourceSize: sourceSize, dim: d)
            }
            var expected = shape
            expected[d] = positions.count
            guard source.shape == expected else { throw .indexedSourceShape(shape: shape, source: source.shape) }
            for position in positions where position < 0 || position >= shape[d] {
                throw .indexOutOfBounds(op: "index_add", index: position, dim: d, size: shape[d])
            }
            let stacked = NDArray(shape: [1, positions.count], integers: positions.map(Int64.init), dtype: .int64)
            return try array.indexPut(AdvancedIndices(dims: [d], stacked: stacked), values: source.array, accumulate: true)
        }
        return Tensor.record(value, .indexAddSource(dim: d), self, source, auxiliary: .indices(positions))
    }

    /// The elements where `mask` (a bool tensor broadcast with this one) is true, in
    /// row-major order, as a one-dimensional tensor, like `torch.masked_select`. Recorded
    /// as `MaskedSelectBackward0`.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        let shape = trapOnShapeError { () throws(ShapeError) in
            guard mask.dtype == .bool else { throw .invalidMaskDType(op: "masked_select", mask.dtype) }
            return try broadcastShapes(self.shape, mask.shape, op: "masked_select")
        }
        let indices = Tensor.maskedSelectIndices(mask.array, shape: shape)
        let source = trapOnShapeError { () throws(ShapeError) in try array.expanded(shape.isEmpty ? [1] : shape) }
        return Tensor.record(source.indexed(indices), .maskedSelect, input: self, auxiliary: .array(mask.array))
    }

    /// The positions of `mask`'s true elements once broadcast to `shape` (a 0-d shape
    /// counts as one element).
    static func maskedSelectIndices(_ mask: NDArray, shape: [Int]) -> AdvancedIndices {
        let broadcast = trapOnShapeError { () throws(ShapeError) in try mask.expanded(shape.isEmpty ? [1] : shape) }
        return AdvancedIndices(positions: broadcast.truePositions(), firstDim: 0)
    }

    /// The values of `index`, a one-dimensional (or 0-d) int64 or int32 tensor, or the
    /// error of `op`.
    private static func positions(_ index: Tensor, op: String) -> [Int] {
        trapOnShapeError { () throws(ShapeError) in
            guard index.dtype == .int64 || index.dtype == .int32 else { throw .invalidIndexDType(op: op, index.dtype) }
            guard index.rank <= 1 else { throw .indexNotVector(op: op) }
        }
        return index.asArray(Int.self)
    }
}
