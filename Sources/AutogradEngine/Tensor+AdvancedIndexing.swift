import AutogradCore

// The primitives subscripts are built from: stepped slices and aliases (views), and
// advanced indexing and indexed writes (copies), each recorded with PyTorch's node.
extension Tensor {
    /// Every `step`-th element of `start..<end` along `dim` (a view), like
    /// `x[start:end:step]` in PyTorch: bounds are clamped as in Python and negative ones
    /// count from the end; the step must be positive. Recorded as `SliceBackward0`.
    /// ```swift
    /// Tensor([0, 1, 2, 3, 4]).slice(dim: 0, start: 1, end: 5, step: 2)   // [1, 3]
    /// ```
    public func slice(dim: Int, start: Int, end: Int, step: Int) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in try array.sliced(dim: dim, start: start, end: end, step: step) }
        if step == 1 { return slice(dim: dim, start: start, end: end) }
        let d = trapOnShapeError { () throws(ShapeError) in try normalizedDimension(dim, rank: rank, op: "slice") }
        let (lower, upper) = NDArray.clampedRange(start: start, end: end, size: shape[d])
        return recordView(value, .stridedSlice(dim: d, start: lower, end: upper, step: step)) {
            $0.slice(dim: d, start: lower, end: upper, step: step)
        }
    }

    /// A view of the whole tensor, like `torch.alias` (what `x[...]` gives), recorded as
    /// `AliasBackward0`.
    func alias() -> Tensor {
        recordView(array, .alias) { $0.alias() }
    }

    /// This tensor placed at every `step`-th position of `start..<end` along `dim` inside
    /// zeros of `shape`: the backward of a stepped slice, recorded so it can be
    /// differentiated again.
    func embedded(in shape: [Int], dim: Int, start: Int, end: Int, step: Int) -> Tensor {
        let result = NDArray(zeros: shape, dtype: dtype)
        let window = trapOnShapeError { () throws(ShapeError) in try result.sliced(dim: dim, start: start, end: end, step: step) }
        window.assign(from: array)
        return Tensor.record(result, .stridedSliceBackward(dim: dim, start: start, end: end, step: step), input: self)
    }

    /// The elements at checked `indices` (a copy), recorded as `IndexBackward0`.
    func advancedIndexed(_ indices: AdvancedIndices) -> Tensor {
        Tensor.record(array.indexed(indices), .index(dims: indices.dims), input: self, auxiliary: .array(indices.stacked))
    }

    /// A copy with `values` written (or added, when `accumulate`) at checked `indices`,
    /// recorded as `IndexPutBackward0` (PyTorch's `index_put`).
    func advancedIndexPut(_ indices: AdvancedIndices, values: Tensor, accumulate: Bool) -> Tensor {
        let value = trapOnShapeError { () throws(ShapeError) in
            try array.indexPut(indices, values: values.array, accumulate: accumulate)
        }
        return Tensor.record(
            value, .indexPut(dims: indices.dims, accumulate: accumulate), self, values, auxiliary: .array(indices.stacked))
    }
}
