/// Reductions for arrays that are not float32: float16/bfloat16 in float32 rounded back,
/// float64 in doubles, integers and bool in 64-bit integers (their sums are int64, as in
/// PyTorch).
extension NDArray {
    /// The dtype a sum of this array has: int64 for integers and bool, else its own.
    public var sumType: DType { dtype.isFloatingPoint ? dtype : .int64 }

    /// ``sum(dims:keepDim:)`` for arrays that are not float32.
    func sumAnyDType(dims: [Int], keepDim: Bool) -> NDArray {
        switch dtype {
        case .float16, .bfloat16:
            return converted(to: .float32).sum(dims: dims, keepDim: keepDim).converted(to: dtype)
        case .float64:
            return sumElements(Double.self, dims: dims, keepDim: keepDim)
        default:
            return converted(to: .int64).sumElements(Int64.self, dims: dims, keepDim: keepDim)
        }
    }

    /// Sums over `dims` of an array whose elements are `T`, into a new array of its dtype.
    private func sumElements<T: AdditiveArithmetic>(_: T.Type, dims: [Int], keepDim: Bool) -> NDArray {
        let kept = reducedShape(dims: dims, keepDim: true)
        let result = NDArray(zeros: kept, dtype: dtype)
        var target = result.layout
        for d in dims { target.strides[d] = 0 }
        target.shape = shape
        let input = storage.raw.assumingMemoryBound(to: T.self), out = result.storage.raw.assumingMemoryBound(to: T.self)
        let length = layout.rowLength, inputStride = layout.rowStride, outStride = target.rowStride
        forEachRow(shape: shape, layout.strides, layout.offset, target.strides, 0, target.strides, 0) { p, o, _ in
            for i in 0..<length { out[o + i * outStride] += input[p + i * inputStride] }
        }
        return keepDim ? result : NDArray(storage: result.storage, layout: Layout(contiguous: reducedShape(dims: dims, keepDim: false)))
    }

    /// The largest (or smallest) element of an array that is not float32, in its dtype.
    func extremeAllAnyDType(largest: Bool) -> NDArray {
        checkUsage(count > 0, "\(largest ? "max" : "min"): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return reshapedUnchecked([count]).extremeAnyDType(dim: 0, keepDim: false, largest: largest).values
    }

    /// ``extreme(dim:keepDim:largest:)`` for arrays that are not float32: values in this
    /// array's dtype, NaN winning and ties going to the first, as in PyTorch.
    func extremeAnyDType(dim: Int, keepDim: Bool, largest: Bool) -> (values: NDArray, indices: [Int]) {
        let moved = movingDimensionLast(dim)
        let length = moved.shape.last ?? 1
        checkUsage(length > 0, "\(largest ? "max" : "min"): cannot reduce over a zero-size dimension")
        let rows = moved.count / length
        var indices = [Int](repeating: 0, count: rows)
        func bestIndex<T: Comparable>(_ row: ArraySlice<T>, isNaN: (T) -> Bool) -> Int {
            var best = row.startIndex
            for i in row.indices.dropFirst() where !isNaN(row[best]) {
                if isNaN(row[i]) || (largest ? row[i] > row[best] : row[i] < row[best]) { best = i }
            }
            return best - row.startIndex
        }
        if dtype.isFloatingPoint {
            let values = moved.doubles
            for r in 0..<rows { indices[r] = bestIndex(values[r * length..<(r + 1) * length], isNaN: \.isNaN) }
        } else {
            let values = moved.integers
            for r in 0..<rows { indices[r] = bestIndex(values[r * length..<(r + 1) * length]) { _ in false } }
        }
        let flat = (0..<rows).map { $0 * length + indices[$0] }
        let picked = try! moved.reshapedUnchecked([moved.count]).indexSelected(dim: 0, indices: flat)
        return (picked.reshapedUnchecked(reducedShape(dims: [dim], keepDim: keepDim)), indices)
    }
}
