import CAutogradKernels

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
            // The kernel reads each operand through its strides, so transposed, broadcast
            // (stride 0) and otherwise strided views need no copy.
            withExtendedLifetime((lhs.storage, rhs.storage)) {
                ag_sgemm_strided(Int64(m), Int64(n), Int64(k),
                                 lhs.storage.base + offsetA,
                                 Int64(left.strides[batchRank]), Int64(left.strides[batchRank + 1]),
                                 rhs.storage.base + offsetB,
                                 Int64(right.strides[batchRank]), Int64(right.strides[batchRank + 1]),
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
