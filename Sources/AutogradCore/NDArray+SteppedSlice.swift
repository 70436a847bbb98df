extension NDArray {
    /// Every `step`-th element of `start..<end` along `dim` (a view), like Python's
    /// `x[start:end:step]`: bounds are clamped as in ``sliced(dim:start:end:)`` and the
    /// step must be positive (PyTorch has no backward slices).
    ///
    /// - Throws: ``ShapeError/invalidSliceStep(_:)`` for a step below 1, and the errors of
    ///   ``sliced(dim:start:end:)``.
    public func sliced(dim: Int, start: Int, end: Int, step: Int) throws(ShapeError) -> NDArray {
        guard step > 0 else { throw .invalidSliceStep(step) }
        if step == 1 { return try sliced(dim: dim, start: start, end: end) }
        guard rank > 0 else { throw .zeroDimensionalSlice(op: "slice") }
        let d = try normalizedDimension(dim, rank: rank, op: "slice")
        let (lower, upper) = NDArray.clampedRange(start: start, end: end, size: shape[d])
        var result = layout
        result.offset += lower * layout.strides[d]
        result.shape[d] = (upper - lower + step - 1) / step
        result.strides[d] *= step
        return NDArray(storage: storage, layout: result)
    }
}
