import Autograd
import CAutogradKernels

/// C = A·B + C through `ag_sgemm_offset_rows` (the implicit convolution's GEMM), B's rows
/// at scattered, overlapping offsets into one buffer, against the same product summed in
/// double precision: the largest error, scaled by √k as `check-kernels sgemm` scales it.
struct OffsetRowsGemmProblem {
    let shape: (m: Int, n: Int, k: Int)

    func largestError() -> Double {
        let (m, n, k) = shape
        let source = GemmProblem.values(4 * k + n + 64, seed: 4).map(Float.init)
        let offsets = (0..<k).map { Int64(($0 * 7919) % (3 * k + 50)) }
        let lda = k + 3
        let a = GemmProblem.values(m * lda, seed: 5).map(Float.init)
        let start = GemmProblem.values(m * n, seed: 6).map(Float.init)
        var c = start
        ag_sgemm_offset_rows(Int64(m), Int64(n), Int64(k), a, Int64(lda), source, offsets, 1, &c, Int64(n))
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(start[i * n + j])
                for p in 0..<k { sum += Double(a[i * lda + p]) * Double(source[Int(offsets[p]) + j]) }
                worst = max(worst, abs(Double(c[i * n + j]) - sum) / Double(k).squareRoot())
            }
        }
        return worst
    }
}
