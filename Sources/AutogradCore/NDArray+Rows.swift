/// Rows along reduced dimensions: the layout the reductions, scans and sorts of
/// NDArray+Statistics, NDArray+Scan and NDArray+Sorting work on. Each moves the dimensions
/// it works along to the end of a contiguous copy, so every row is a run of adjacent
/// elements a kernel reads through one raw pointer.
extension NDArray {
    /// This array with `dims` (normalised, sorted) moved last, as a contiguous array, and
    /// how it splits into `rows` runs of `length` elements (length 1 for no dimensions).
    func rows(along dims: [Int]) -> (array: NDArray, rows: Int, length: Int) {
        let kept = (0..<rank).filter { !dims.contains($0) }
        let order = kept + dims
        let moved = NDArray(
            storage: storage,
            layout: Layout(shape: order.map { shape[$0] }, strides: order.map { layout.strides[$0] }, offset: layout.offset)
        ).contiguous()
        let length = dims.reduce(1) { $0 * shape[$1] }
        let rows = kept.reduce(1) { $0 * shape[$1] }
        return (moved, rows, length)
    }

    /// The values of `rows(along:)` as doubles (exact for every floating dtype and for
    /// integers up to 2⁵³), one row after another.
    func rowDoubles(along dims: [Int]) -> (values: [Double], rows: Int, length: Int) {
        let (moved, rows, length) = self.rows(along: dims)
        return (moved.doubles, rows, length)
    }

    /// The values of `rows(along:)` as 64-bit integers, one row after another.
    func rowIntegers(along dims: [Int]) -> (values: [Int64], rows: Int, length: Int) {
        let (moved, rows, length) = self.rows(along: dims)
        return (moved.integers, rows, length)
    }

    /// One double per row of `values` (rows of `length`), from `body` given each row.
    static func reduceRows(
        _ values: [Double], rows: Int, length: Int, _ body: (UnsafeBufferPointer<Double>) -> Double
    ) -> [Double] {
        values.withUnsafeBufferPointer { all in
            (0..<rows).map { r in body(UnsafeBufferPointer(rebasing: all[r * length..<(r + 1) * length])) }
        }
    }

    /// One integer per row of `values` (rows of `length`), from `body` given each row.
    static func reduceRows(
        _ values: [Int64], rows: Int, length: Int, _ body: (UnsafeBufferPointer<Int64>) -> Int64
    ) -> [Int64] {
        values.withUnsafeBufferPointer { all in
            (0..<rows).map { r in body(UnsafeBufferPointer(rebasing: all[r * length..<(r + 1) * length])) }
        }
    }
}
