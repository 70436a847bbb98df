extension NDArray {
    /// Joins arrays along an existing dimension `dim` (normalised); all other sizes must agree.
    public static func concatenate(_ arrays: [NDArray], dim: Int, op: String = "cat") throws(ShapeError) -> NDArray {
        guard let first = arrays.first else { throw .emptyTensorList(op: op) }
        guard first.rank > 0 else { throw .zeroDimensionalConcatenation(op: op) }
        for (i, array) in arrays.enumerated() {
            let same = array.rank == first.rank
                && (0..<first.rank).allSatisfy { $0 == dim || array.shape[$0] == first.shape[$0] }
            guard same else {
                throw .joinedSizesDiffer(op: op, dim: dim, first: first.shape, index: i, other: array.shape)
            }
        }
        var shape = first.shape
        shape[dim] = arrays.reduce(0) { $0 + $1.shape[dim] }
        // The result has the promoted dtype of all parts, as torch.cat gives.
        let result = NDArray(uninitialized: shape, dtype: arrays.dropFirst().reduce(first.dtype) { DType.promoted($0, $1.dtype) })
        var start = 0
        for array in arrays {
            let size = array.shape[dim]
            var slot = result.layout
            slot.offset += start * slot.strides[dim]
            slot.shape[dim] = size
            NDArray(storage: result.storage, layout: slot).assign(from: array)
            start += size
        }
        return result
    }
}
