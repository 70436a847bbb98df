/// Sorting along a dimension and what is built on it: `sort`, `argsort`, `topk`,
/// `median` and `unique`. Each row's positions are sorted as an index buffer with a
/// comparator that reads the row through a raw pointer; ties keep their original order
/// (a stable sort) and NaN sorts above every number, as in PyTorch.
extension NDArray {
    /// The elements sorted along `dim` (normalised) and, as int64, where each came from.
    public func sorted(dim: Int, descending: Bool) -> (values: NDArray, indices: NDArray) {
        sortedPrefix(dim: dim, count: rank == 0 ? 1 : shape[dim], descending: descending)
    }

    /// The first `count` elements along `dim` (normalised) in sorted order, and their
    /// int64 positions: the `count` largest with `descending` (`torch.topk`).
    public func sortedPrefix(dim: Int, count: Int, descending: Bool) -> (values: NDArray, indices: NDArray) {
        if rank == 0 {
            let (values, indices) = reshapedUnchecked([1]).sortedPrefix(dim: 0, count: count, descending: descending)
            return (values.reshapedUnchecked([]), indices.reshapedUnchecked([]))
        }
        let moved = movingDimensionLast(dim)
        let length = shape[dim]
        let rows = length == 0 ? 0 : moved.count / length
        var outputShape = shape
        outputShape[dim] = count
        var movedShape = moved.shape
        movedShape[movedShape.count - 1] = count
        var order = [Int64](repeating: 0, count: rows * count)
        let values: NDArray
        if dtype.isFloatingPoint {
            let source = moved.doubles
            var picked = [Double](repeating: 0, count: rows * count)
            NDArray.sortRows(source, rows: rows, length: length, count: count, descending: descending,
                             order: &order, picked: &picked, isLess: { a, b in a < b || (!a.isNaN && b.isNaN) })
            values = NDArray(shape: movedShape, doubles: picked, dtype: dtype)
        } else {
            let source = moved.integers
            var picked = [Int64](repeating: 0, count: rows * count)
            NDArray.sortRows(source, rows: rows, length: length, count: count, descending: descending,
                             order: &order, picked: &picked, isLess: { a, b in a < b })
            values = NDArray(shape: movedShape, integers: picked, dtype: dtype)
        }
        let indices = NDArray(shape: movedShape, integers: order, dtype: .int64)
        return (values.movingLastDimension(to: dim, shape: outputShape),
                indices.movingLastDimension(to: dim, shape: outputShape))
    }

    /// Sorts each of `rows` rows of `length` values, writing the first `count` positions
    /// of each into `order` and their values into `picked`. `isLess` is the ascending order
    /// of two values (NaN last); equal values keep their positions' order either way.
    private static func sortRows<T>(
        _ source: [T], rows: Int, length: Int, count: Int, descending: Bool,
        order: inout [Int64], picked: inout [T], isLess: (T, T) -> Bool
    ) {
        var positions = [Int](repeating: 0, count: length)
        source.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            for r in 0..<rows {
                let row = base + r * length
                for i in 0..<length { positions[i] = i }
                positions.withUnsafeMutableBufferPointer { buffer in
                    buffer.sort { i, j in
                        let (a, b) = (row[i], row[j])
                        if descending ? isLess(b, a) : isLess(a, b) { return true }
                        if descending ? isLess(a, b) : isLess(b, a) { return false }
                        return i < j
                    }
                }
                for k in 0..<count {
                    order[r * count + k] = Int64(positions[k])
                    picked[r * count + k] = row[positions[k]]
                }
            }
        }
    }

    /// The lower median of all elements as a 0-d array (NaN if any element is NaN, or if
    /// there are none), like `torch.median()`.
    public func medianAll() -> NDArray {
        if count == 0 { return NDArray(shape: [], doubles: [.nan], dtype: dtype.isFloatingPoint ? dtype : .float32) }
        let flat = reshapedUnchecked([count])
        let (values, _) = flat.median(dim: 0, keepDim: false)
        return values
    }

    /// The lower median along `dim` (normalised) and its int64 position, like
    /// `torch.median(x, dim)`: where a row holds NaN, NaN and the position of its first NaN.
    public func median(dim: Int, keepDim: Bool) -> (values: NDArray, indices: NDArray) {
        let length = rank == 0 ? 1 : shape[dim]
        let (sortedValues, sortedIndices) = sorted(dim: dim, descending: false)
        let d = rank == 0 ? 0 : dim
        let (rowValues, rows, _) = (rank == 0 ? self.reshapedUnchecked([1]) : self).rowDoubles(along: [d])
        var pick = [Int](repeating: (length - 1) / 2, count: rows)
        if dtype.isFloatingPoint {
            for r in 0..<rows {
                var nans = 0
                for i in r * length..<(r + 1) * length where rowValues[i].isNaN { nans += 1 }
                if nans > 0 { pick[r] = length - nans }
            }
        }
        let valueRows = (rank == 0 ? sortedValues.reshapedUnchecked([1]) : sortedValues).rows(along: [d]).array
        let indexRows = (rank == 0 ? sortedIndices.reshapedUnchecked([1]) : sortedIndices).rows(along: [d]).array
        let flatPositions = (0..<rows).map { $0 * length + pick[$0] }
        let outputShape = rank == 0 ? [] : reducedShape(dims: [dim], keepDim: keepDim)
        let values = trapOnShapeError { () throws(ShapeError) in
            try valueRows.reshapedUnchecked([rows * length]).indexSelected(dim: 0, indices: flatPositions)
        }
        let indices = trapOnShapeError { () throws(ShapeError) in
            try indexRows.reshapedUnchecked([rows * length]).indexSelected(dim: 0, indices: flatPositions)
        }
        return (values.reshapedUnchecked(outputShape), indices.reshapedUnchecked(outputShape))
    }

    /// The distinct elements in ascending order, with, for every element, the position of
    /// its value among them (int64, this array's shape) and how often each occurs (int64),
    /// like `torch.unique(sorted=True, return_inverse=True, return_counts=True)`.
    public func uniqueElements() -> (values: NDArray, inverse: NDArray, counts: NDArray) {
        let flat = reshapedUnchecked([count])
        let (sortedValues, sortedIndices) = flat.sorted(dim: 0, descending: false)
        let order = sortedIndices.integers
        var inverse = [Int64](repeating: 0, count: count)
        var counts: [Int64] = []
        var keep: [Int] = []
        if dtype.isFloatingPoint {
            let values = sortedValues.doubles
            for (k, value) in values.enumerated() {
                // NaN is never equal to NaN, so each NaN is a value of its own, as in PyTorch.
                if k == 0 || value != values[k - 1] { keep.append(k); counts.append(0) }
                counts[counts.count - 1] += 1
                inverse[Int(order[k])] = Int64(keep.count - 1)
            }
        } else {
            let values = sortedValues.integers
            for (k, value) in values.enumerated() {
                if k == 0 || value != values[k - 1] { keep.append(k); counts.append(0) }
                counts[counts.count - 1] += 1
                inverse[Int(order[k])] = Int64(keep.count - 1)
            }
        }
        let distinct = trapOnShapeError { () throws(ShapeError) in try sortedValues.indexSelected(dim: 0, indices: keep) }
        return (distinct, NDArray(shape: shape, integers: inverse, dtype: .int64),
                NDArray(shape: [counts.count], integers: counts, dtype: .int64))
    }
}
