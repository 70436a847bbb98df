/// The index arrays of the advanced part of a subscript (`x[idx]`, `x[mask]`,
/// `x[.all, idx, idx2]`), checked and broadcast together: row `k` of ``stacked`` holds the
/// positions along dimension `dims[k]` for every position of the broadcast index shape
/// (``shape``), each in range and non-negative.
///
/// PyTorch's `index` and `index_put_` take the same list of optional index tensors; a bool
/// mask stands for one index array per mask dimension (the positions of its true elements).
public struct AdvancedIndices: Sendable {
    /// The indexed dimensions, ascending and distinct.
    public let dims: [Int]
    /// The positions as int64, contiguous, of shape `[dims.count] + shape`.
    public let stacked: NDArray

    /// The broadcast shape of the index arrays.
    public var shape: [Int] { Array(stacked.shape.dropFirst()) }

    /// The number of positions each index array holds.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the indexed dimensions are consecutive, so the result keeps the index
    /// shape where they were (otherwise it comes first, as in NumPy).
    public var adjacent: Bool { dims.last.map { $0 - dims[0] == dims.count - 1 } ?? true }

    /// Indices already checked, such as those saved for backward.
    public init(dims: [Int], stacked: NDArray) {
        self.dims = dims
        self.stacked = stacked
    }

    /// Checked indices into an array of `shape`: `indices[k].index` (int64 or int32, any
    /// shape) gives positions along dimension `indices[k].dim` (ascending). Negative
    /// positions count from the end.
    ///
    /// - Throws: ``ShapeError/invalidIndexDType(op:_:)`` for another dtype,
    ///   ``ShapeError/indicesNotBroadcastable(_:)`` when the shapes do not broadcast, and
    ///   ``ShapeError/indexOutOfBounds(op:index:dim:size:)`` for a position out of range
    ///   (naming the index's place in the list as its dimension, as PyTorch does).
    public init(_ indices: [(dim: Int, index: NDArray)], shape: [Int]) throws(ShapeError) {
        var common: [Int] = []
        for entry in indices {
            guard entry.index.dtype == .int64 || entry.index.dtype == .int32 else {
                throw .invalidIndexDType(op: "index", entry.index.dtype)
            }
            do {
                common = try broadcastShapes(common, entry.index.shape, op: "index")
            } catch {
                throw .indicesNotBroadcastable(indices.map(\.index.shape))
            }
        }
        let count = common.reduce(1, *)
        let stacked = NDArray(uninitialized: [indices.count] + common, dtype: .int64)
        let positions = stacked.storage.raw.assumingMemoryBound(to: Int64.self)
        for (k, entry) in indices.enumerated() {
            let row = NDArray(storage: stacked.storage, layout: Layout(contiguous: common, offset: k * count))
            row.assign(from: entry.index.dtype == .int64 ? entry.index : entry.index.converted(to: .int64))
            let size = Int64(shape[entry.dim])
            let values = positions + k * count
            for i in 0..<count {
                let value = values[i]
                let wrapped = value < 0 ? value + size : value
                guard wrapped >= 0 && wrapped < size else {
                    throw .indexOutOfBounds(op: "index", index: Int(value), dim: k, size: Int(size))
                }
                values[i] = wrapped
            }
        }
        self.init(dims: indices.map(\.dim), stacked: stacked)
    }

    /// Checks that values of `valueShape`, without their leading size-1 dimensions, broadcast
    /// to an indexing result of `resultShape` (PyTorch's rule for indexed assignment).
    ///
    /// - Throws: ``ShapeError/indexPutValueShape(value:result:)`` when they do not.
    public static func checkValues(_ valueShape: [Int], broadcastTo resultShape: [Int]) throws(ShapeError) {
        let trimmed = Array(valueShape.drop { $0 == 1 })
        let lead = resultShape.count - trimmed.count
        guard lead >= 0, trimmed.enumerated().allSatisfy({ $0.element == 1 || $0.element == resultShape[lead + $0.offset] }) else {
            throw .indexPutValueShape(value: trimmed, result: resultShape)
        }
    }

    /// Indices from trusted int64 position arrays of one shape (the positions of a mask's
    /// true elements) for dimensions `firstDim`, `firstDim + 1`, ...
    public init(positions: [NDArray], firstDim: Int) {
        let shape = positions.first?.shape ?? [0]
        let count = shape.reduce(1, *)
        let stacked = NDArray(uninitialized: [positions.count] + shape, dtype: .int64)
        for (k, row) in positions.enumerated() {
            (stacked.storage.raw + k * count * 8).copyMemory(from: row.contiguous().rawPointer, byteCount: count * 8)
        }
        self.init(dims: Array(firstDim..<(firstDim + positions.count)), stacked: stacked)
    }
}

extension NDArray {
    /// The positions of the non-zero elements of this bool (or uint8) mask, one int64
    /// array per dimension, in row-major order, like `mask.nonzero().unbind(1)`.
    public func truePositions() -> [NDArray] {
        let mask = contiguous()
        let flags = mask.rawPointer.assumingMemoryBound(to: UInt8.self)
        var total = 0
        for i in 0..<count { total &+= flags[i] != 0 ? 1 : 0 }
        let outputs = (0..<rank).map { _ in NDArray(uninitialized: [total], dtype: .int64) }
        guard total > 0, rank > 0 else { return outputs }
        let pointers = outputs.map { $0.storage.raw.assumingMemoryBound(to: Int64.self) }
        // Row by row along the last dimension, carrying the coordinates of the others.
        let length = shape[rank - 1], outerRank = rank - 1
        var coordinates = [Int64](repeating: 0, count: outerRank)
        var written = 0
        for row in 0..<(count / length) {
            let flagsOfRow = flags + row * length
            for j in 0..<length where flagsOfRow[j] != 0 {
                for d in 0..<outerRank { pointers[d][written] = coordinates[d] }
                pointers[outerRank][written] = Int64(j)
                written += 1
            }
            var d = outerRank - 1
            while d >= 0 {
                coordinates[d] += 1
                if coordinates[d] < Int64(shape[d]) { break }
                coordinates[d] = 0
                d -= 1
            }
        }
        return outputs
    }

    /// The index arrays a bool (or uint8) mask stands for when it indexes dimensions
    /// `dim ..< dim + mask.rank` of an array of `shape`.
    ///
    /// - Throws: ``ShapeError/maskShapeMismatch(mask:maskDim:shape:dim:)`` when the mask's
    ///   sizes differ from those dimensions'.
    public static func maskIndices(_ mask: NDArray, at dim: Int, of shape: [Int]) throws(ShapeError) -> [NDArray] {
        for (j, size) in mask.shape.enumerated() where dim + j >= shape.count || shape[dim + j] != size {
            throw .maskShapeMismatch(mask: mask.shape, maskDim: j, shape: shape, dim: dim + j)
        }
        return mask.truePositions()
    }
}
