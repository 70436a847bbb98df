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
        guard lhs.dtype == .float32 && rhs.dtype == .float32 else {
            return try matmulAnyDType(lhs, rhs, m: m, n: n, k: k, batchShape: batchShape)
        }
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

extension NDArray {
    /// ``matmul(_:_:)`` for operands that are not both float32: in float32 for the
    /// two-byte floats (rounded back), in doubles for float64, in 64-bit integers for
    /// integers; the operands are first promoted to one dtype, as `torch.matmul` requires
    /// them to share it.
    private static func matmulAnyDType(
        _ lhs: NDArray, _ rhs: NDArray, m: Int, n: Int, k: Int, batchShape: [Int]
    ) throws(ShapeError) -> NDArray {
        guard lhs.dtype == rhs.dtype else {
            throw ShapeError("expected m1 and m2 to have the same dtype, but got: \(lhs.dtype.rawValue) != \(rhs.dtype.rawValue)")
        }
        let dtype = lhs.dtype
        if dtype == .float16 || dtype == .bfloat16 {
            return try matmul(lhs.converted(to: .float32), rhs.converted(to: .float32)).converted(to: dtype)
        }
        let outputShape = batchShape + [m, n]
        let left = lhs.broadcastMatrices(to: batchShape + [m, k]), right = rhs.broadcastMatrices(to: batchShape + [k, n])
        let batches = batchShape.reduce(1, *)
        if dtype == .float64 {
            let a = left.doubles, b = right.doubles
            var c = [Double](repeating: 0, count: batches * m * n)
            multiplyMatrices(a, b, into: &c, batches: batches, m: m, n: n, k: k)
            return NDArray(shape: outputShape, doubles: c, dtype: dtype)
        }
        let a = left.integers, b = right.integers
        var c = [Int64](repeating: 0, count: batches * m * n)
        multiplyMatrices(a, b, into: &c, batches: batches, m: m, n: n, k: k)
        return NDArray(shape: outputShape, integers: c, dtype: dtype == .bool ? .int64 : dtype)
    }

    /// This array broadcast to `shape` (batch dimensions and the matrix), contiguous.
    private func broadcastMatrices(to shape: [Int]) -> NDArray {
        NDArray(storage: storage, layout: layout.broadcast(to: shape)).contiguous()
    }

    /// `c[b] = a[b] · b[b]` for row-major `m×k` and `k×n` matrices, in `i-k-j` order so
    /// the inner loop runs along rows.
    private static func multiplyMatrices<T: Numeric>(_ a: [T], _ b: [T], into c: inout [T], batches: Int, m: Int, n: Int, k: Int) {
        for batch in 0..<batches {
            let (aBase, bBase, cBase) = (batch * m * k, batch * k * n, batch * m * n)
            for i in 0..<m {
                for p in 0..<k {
                    let scale = a[aBase + i * k + p]
                    for j in 0..<n { c[cBase + i * n + j] += scale * b[bBase + p * n + j] }
                }
            }
        }
    }
}
