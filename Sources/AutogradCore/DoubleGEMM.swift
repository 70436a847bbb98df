import CAutogradKernels

/// The float64 matrix product kernel: `C = A·B`, or `C += A·B` when `accumulate` is true,
/// with the packed, blocked and threaded GEMM of the current ``Kernels/path`` (the float64
/// counterpart of the kernel behind `NDArray.matmul` for float32).
///
/// `A` is `m × k` with entry `(i, p)` at `a[i * aRowStride + p * aColumnStride]`, `B` is
/// `k × n` with entry `(p, j)` at `b[p * bRowStride + j * bColumnStride]`, so transposed,
/// broadcast (stride 0) and otherwise strided views need no copy. `C` is `m × n` with unit
/// column stride and row stride `ldc` (at least `n`); without `accumulate` it is only
/// written, so it may start uninitialized. `C` must not overlap `A` or `B`.
///
/// - Parameters:
///   - m: Rows of `A` and `C`.
///   - n: Columns of `B` and `C`.
///   - k: Columns of `A`, rows of `B`; 0 makes `C` zero (or leaves it with `accumulate`).
///   - a: The first element of `A`.
///   - aRowStride: Elements between consecutive rows of `A`.
///   - aColumnStride: Elements between consecutive columns of `A`.
///   - b: The first element of `B`.
///   - bRowStride: Elements between consecutive rows of `B`.
///   - bColumnStride: Elements between consecutive columns of `B`.
///   - c: The first element of `C`.
///   - ldc: Elements between consecutive rows of `C`.
///   - accumulate: Whether to add the product to `C` (beta = 1) instead of overwriting it.
func doubleMatmulKernel(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Double>, aRowStride: Int, aColumnStride: Int,
    b: UnsafePointer<Double>, bRowStride: Int, bColumnStride: Int,
    c: UnsafeMutablePointer<Double>, ldc: Int,
    accumulate: Bool = false
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "doubleMatmulKernel: negative size \(m) x \(k) x \(n)")
    precondition(m <= 1 || ldc >= n, "doubleMatmulKernel: ldc \(ldc) is less than n = \(n)")
    ag_dgemm_strided(Int64(m), Int64(n), Int64(k),
                     a, Int64(aRowStride), Int64(aColumnStride),
                     b, Int64(bRowStride), Int64(bColumnStride),
                     accumulate ? 1 : 0, c, Int64(ldc))
}
