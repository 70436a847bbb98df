import CAutogradKernels

/// A matrix operand for the GEMM kernel: a pointer, whether it is stored transposed, and
/// the distance between its stored rows.
private struct MatrixOperand {
    let base: UnsafePointer<Float>
    let transposed: Bool
    let leadingDimension: Int
    /// Keeps a contiguous copy alive while the kernel reads it.
    let owner: NDArray

    /// Reads the last two dimensions of `array` at storage offset `offset` as a matrix,
    /// copying only when neither the rows nor the columns are unit-stride.
    init(_ array: NDArray, rowStride: Int, columnStride: Int, rows: Int, columns: Int, offset: Int) {
        if columnStride == 1 || columns == 1 {
            base = UnsafePointer(array.storage.base + offset)
            transposed = false
            // A stride of 0 (rows broadcast by expand) is a valid leading dimension for
            // ag_sgemm: every row reads the same memory.
            leadingDimension = rows == 1 ? columns : rowStride
            owner = array
        } else if rowStride == 1 || rows == 1 {
            base = UnsafePointer(array.storage.base + offset)
            transposed = true
            leadingDimension = columnStride   // may be 0 too (columns broadcast)
            owner = array
        } else {
            let copy = NDArray(uninitialized: [rows, columns])
            copy.assign(from: NDArray(storage: array.storage,
                                      layout: Layout(shape: [rows, columns], strides: [rowStride, columnStride], offset: offset)))
            base = UnsafePointer(copy.storage.base)
            transposed = false
            leadingDimension = columns
            owner = copy
        }
    }
}

extension NDArray {
    /// The matrix product of two arrays of rank 2 or more, broadcasting the batch
    /// dimensions: `[..., M, K] x [..., K, N] -> [..., M, N]`.
    public static func matmul(_ lhs: NDArray, _ rhs: NDArray) throws(ShapeError) -> NDArray {
        guard lhs.rank >= 2, rhs.rank >= 2 else {
            throw ShapeError("matmul: both arguments need at least 2 dimensions, got \(lhs.shape) and \(rhs.shape)")
        }
        let m = lhs.shape[lhs.rank - 2], k = lhs.shape[lhs.rank - 1]
        let k2 = rhs.shape[rhs.rank - 2], n = rhs.shape[rhs.rank - 1]
        guard k == k2 else {
            throw ShapeError("matmul: mat1 and mat2 shapes cannot be multiplied (\(m)x\(k) and \(k2)x\(n)); shapes \(lhs.shape) and \(rhs.shape)")
        }
        let batchShape = try broadcastShapes(
            Array(lhs.shape.dropLast(2)), Array(rhs.shape.dropLast(2)), op: "matmul")
        let left = lhs.layout.broadcast(to: batchShape + [m, k])
        let right = rhs.layout.broadcast(to: batchShape + [k, n])
        if m == 0 || n == 0 || k == 0 { return NDArray(zeros: batchShape + [m, n]) }
        // Every element is written by the kernel (beta = 0), so no zero-fill.
        let result = NDArray(uninitialized: batchShape + [m, n])
        let out = result.storage.base
        let batchCount = batchShape.reduce(1, *)
        let batchRank = batchShape.count
        var batchIndex = [Int](repeating: 0, count: batchRank)
        for batch in 0..<batchCount {
            var offsetA = left.offset, offsetB = right.offset
            for d in 0..<batchRank {
                offsetA += batchIndex[d] * left.strides[d]
                offsetB += batchIndex[d] * right.strides[d]
            }
            let a = MatrixOperand(lhs, rowStride: left.strides[batchRank], columnStride: left.strides[batchRank + 1],
                                  rows: m, columns: k, offset: offsetA)
            let b = MatrixOperand(rhs, rowStride: right.strides[batchRank], columnStride: right.strides[batchRank + 1],
                                  rows: k, columns: n, offset: offsetB)
            withExtendedLifetime((a.owner, b.owner)) {
                ag_sgemm(a.transposed, b.transposed, Int64(m), Int64(n), Int64(k),
                         a.base, Int64(a.leadingDimension), b.base, Int64(b.leadingDimension),
                         0, out + batch * m * n, Int64(n))
            }
            var d = batchRank - 1
            while d >= 0 {
                batchIndex[d] += 1
                if batchIndex[d] < batchShape[d] { break }
                batchIndex[d] = 0
                d -= 1
            }
        }
        return result
    }
}
