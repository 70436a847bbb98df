import CAutogradKernels

extension NDArray {
    /// Copies a source whose innermost dimension is strided (a transposed view, as
    /// `weight.mT`'s gradient arrives) one matrix at a time with the tiled kernel; returns
    /// false, copying nothing, when another path suits better.
    func copyMatrices(from source: UnsafeMutablePointer<Float>, _ sourceLayout: Layout) -> Bool {
        guard rank >= 2, layout.isContiguous else { return false }
        let sourceStrides = sourceLayout.strides
        let rowStride = sourceStrides[rank - 2], columnStride = sourceStrides[rank - 1]
        let (rows, columns) = (shape[rank - 2], shape[rank - 1])
        // Only worth it when the columns are strided and the rows are not.
        guard columnStride != 1, columnStride != 0, rows >= 8, columns >= 8, count > 0 else { return false }
        let matrices = count / (rows * columns)
        let outerShape = Array(shape.dropLast(2)), outerStrides = Array(sourceStrides.dropLast(2))
        var index = [Int](repeating: 0, count: outerShape.count)
        let destination = pointer
        for matrix in 0..<matrices {
            var offset = sourceLayout.offset
            for d in 0..<outerShape.count { offset += index[d] * outerStrides[d] }
            ag_copy_2d(Int64(rows), Int64(columns), source + offset, Int64(rowStride), Int64(columnStride),
                       destination + matrix * rows * columns, Int64(columns))
            var d = outerShape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < outerShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return true
    }
}
