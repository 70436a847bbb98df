import AutogradCore

extension Tensor {
    /// The entries at `indices` along `dim`, in that order, like `torch.index_select`
    /// (an index may repeat; the gradient adds up over repeats). Recorded as
    /// `IndexSelectBackward0`.
    /// ```swift
    /// let table = Tensor([[1, 2], [3, 4], [5, 6]])
    /// table.indexSelect(dim: 0, indices: [2, 0, 2])   // [[5, 6], [1, 2], [5, 6]]
    /// ```
    public func indexSelect(dim: Int, indices: [Int]) -> Tensor {
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "index_select") }
        checkUsage(rank > 0, "index_select: cannot index a 0-dim tensor")
        let value = trapOnShapeError { () throws(ShapeError) in try array.indexSelected(dim: d, indices: indices) }
        return Tensor.record(value, .indexSelect(dim: d), input: self, auxiliary: .indices(indices))
    }

    /// Adds the entries of this tensor along `dim` into zeros with `size` entries there,
    /// entry `j` at `indices[j]`: the backward of ``indexSelect(dim:indices:)``, recorded
    /// as `IndexAddBackward0` so it can be differentiated again.
    func indexAdd(dim: Int, indices: [Int], size: Int) -> Tensor {
        Tensor.record(
            array.indexAdded(dim: dim, indices: indices, size: size), .indexAdd(dim: dim), input: self,
            auxiliary: .indices(indices))
    }
}
