import CAutogradKernels

extension NDArray {
    /// The matrix product of two arrays of rank 2 or more, broadcasting the batch
    /// dimensions: `[..., M, K] x [..., K, N] -> [..., M, N]`.
    public static func matmul(_ lhs: NDArray, _ rhs: NDArray) throws(ShapeError) -> NDArray {
        guard lhs.rank >= 2, rhs.rank >= 2 else {
            throw .matmulNeedsMatrices(lhs: lhs.shape, rhs: rhs.shape)
        }
        let m = lhs.shape[lhs.rank - 2], k = lhs.shape[lhs.rank - 1]
        let k2 = rhs.shape[rhs.rank - 2], n = rhs.shape[rhs.rank - 1]
        guard k == k2 else {
            throw .matmulInnerSizes(lhs: lhs.shape, rhs: rhs.shape)
        }
        let batchShape = try broadcastShapes(
            Array(lhs.shape.dropLast(2)), Array(rhs.shape.dropLast(2)), op: "matmul")
        let left = lhs.layout.broadcast(to: batchShape + [m, k])
        let right = rhs.layout.broadcast(to: batchShape + [k, n])
        guard lhs.dtype == rhs.dtype, lhs.dtype == .float32 || lhs.dtype == .float64 else {
            return try matmulAnyDType(lhs, rhs, m: m, n: n, k: k, batchShape: batchShape)
        }
        let dtype = lhs.dtype
        if m == 0 || n == 0 || k == 0 { return NDArray(zeros: batchShape + [m, n], dtype: dtype) }
        // Every element is written by the kernel (beta = 0), so no zero-fill.
        let result = NDArray(uninitialized: batchShape + [m, n], dtype: dtype)
        let batchRank = batchShape.count
        let (rowA, columnA) = (left.strides[batchRank], left.strides[batchRank + 1])
        let (rowB, columnB) = (right.strides[batchRank], right.strides[batchRank + 1])
        // One matrix on the right and batch dimensions on the left that continue its rows
        // (a row-major [B, T, C], say): one product of [B·T, C] rows instead of one per batch
        // entry. Each result element is the same sum in the same order either way.
        let foldedRows = rhs.rank == 2 && batchRank > 0 && left.foldsBatchIntoRows(batchRank: batchRank)
            ? batchShape.reduce(1, *) * m : nil
        // The kernels read each operand through its strides, so transposed, broadcast
        // (stride 0) and otherwise strided views need no copy.
        withExtendedLifetime((lhs.storage, rhs.storage)) {
            if let rows = foldedRows {
                if dtype == .float32 {
                    ag_sgemm_strided(Int64(rows), Int64(n), Int64(k), lhs.storage.base + left.offset, Int64(rowA),
                                     Int64(columnA), rhs.storage.base + right.offset, Int64(rowB), Int64(columnB),
                                     0, result.storage.base, Int64(n))
                } else {
                    let double = { (storage: Storage) in storage.raw.assumingMemoryBound(to: Double.self) }
                    doubleMatmulKernel(m: rows, n: n, k: k,
                                       a: double(lhs.storage) + left.offset, aRowStride: rowA, aColumnStride: columnA,
                                       b: double(rhs.storage) + right.offset, bRowStride: rowB, bColumnStride: columnB,
                                       c: double(result.storage), ldc: n)
                }
                return
            }
            forEachMatrix(batchShape: batchShape, left, right) { batch, offsetA, offsetB in
                if dtype == .float32 {
                    ag_sgemm_strided(Int64(m), Int64(n), Int64(k),
                                     lhs.storage.base + offsetA, Int64(rowA), Int64(columnA),
                                     rhs.storage.base + offsetB, Int64(rowB), Int64(columnB),
                                     0, result.storage.base + batch * m * n, Int64(n))
                } else {
                    let double = { (storage: Storage) in storage.raw.assumingMemoryBound(to: Double.self) }
                    doubleMatmulKernel(m: m, n: n, k: k,
                                       a: double(lhs.storage) + offsetA, aRowStride: rowA, aColumnStride: columnA,
                                       b: double(rhs.storage) + offsetB, bRowStride: rowB, bColumnStride: columnB,
                                       c: double(result.storage) + batch * m * n, ldc: n)
                }
            }
        }
        return result
    }

    /// Calls `body(batch, offsetA, offsetB)` for every matrix of the broadcast batch, with
    /// the storage offsets of its left and right operands.
    private static func forEachMatrix(batchShape: [Int], _ left: Layout, _ right: Layout, _ body: (Int, Int, Int) -> Void) {
        let batchCount = batchShape.reduce(1, *)
        let batchRank = batchShape.count
        var batchIndex = [Int](repeating: 0, count: batchRank)
        for batch in 0..<batchCount {
            var offsetA = left.offset, offsetB = right.offset
            for d in 0..<batchRank {
                offsetA += batchIndex[d] * left.strides[d]
                offsetB += batchIndex[d] * right.strides[d]
            }
            body(batch, offsetA, offsetB)
            var d = batchRank - 1
            while d >= 0 {
                batchIndex[d] += 1
                if batchIndex[d] < batchShape[d] { break }
                batchIndex[d] = 0
                d -= 1
            }
        }
    }
}

extension Layout {
    /// Whether the first `batchRank` dimensions and the next (the rows of the matrices) can be
    /// read as one run of rows a row stride apart: each batch dimension's stride (unless its
    /// size is 1) is the row stride times the number of rows in one of its entries.
    func foldsBatchIntoRows(batchRank: Int) -> Bool {
        var expected = strides[batchRank] * shape[batchRank]
        for d in stride(from: batchRank - 1, through: 0, by: -1) {
            if shape[d] != 1 && strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }
}

extension NDArray {
    /// ``matmul(_:_:)`` for operands that are not both float32 or both float64: in float32
    /// for the two-byte floats (rounded back), in 64-bit integers for integers; the
    /// operands must share one dtype, as `torch.matmul` requires.
    private static func matmulAnyDType(
        _ lhs: NDArray, _ rhs: NDArray, m: Int, n: Int, k: Int, batchShape: [Int]
    ) throws(ShapeError) -> NDArray {
        guard lhs.dtype == rhs.dtype else {
            throw .dtypeMismatch(op: "matmul", lhs.dtype, rhs.dtype)
        }
        let dtype = lhs.dtype
        if dtype == .float16 || dtype == .bfloat16 {
            return try matmul(lhs.converted(to: .float32), rhs.converted(to: .float32)).converted(to: dtype)
        }
        let outputShape = batchShape + [m, n]
        let left = lhs.broadcastMatrices(to: batchShape + [m, k]), right = rhs.broadcastMatrices(to: batchShape + [k, n])
        let batches = batchShape.reduce(1, *)
        let a = left.integers, b = right.integers
        var c = [Int64](repeating: 0, count: batches * m * n)
        multiplyMatrices(a, b, into: &c, batches: batches, m: m, n: n, k: k)
        return NDArray(shape: outputShape, integers: c, dtype: dtype == .bool ? .int64 : dtype)
    }

    /// This array broadcast to `shape` (batch dimensions and the matrix), contiguous.
    private func broadcastMatrices(to shape: [Int]) -> NDArray {
        NDArray(storage: storage, layout: layout.broadcast(to: shape)).contiguous()
    }

    /// `c[b] = a[b] · b[b]` for row-major `m×k` and `k×n` integer matrices (wrapping on
    /// overflow, as C integers do), in `i-k-j` order so the inner loop runs along rows.
    private static func multiplyMatrices(_ a: [Int64], _ b: [Int64], into c: inout [Int64], batches: Int, m: Int, n: Int, k: Int) {
        for batch in 0..<batches {
            let (aBase, bBase, cBase) = (batch * m * k, batch * k * n, batch * m * n)
            for i in 0..<m {
                for p in 0..<k {
                    let scale = a[aBase + i * k + p]
                    for j in 0..<n { c[cBase + i * n + j] &+= scale &* b[bBase + p * n + j] }
                }
            }
        }
    }
}
