#include "CAutogradKernels.h"
#include <string.h>

// A straightforward row-major GEMM. The loop order keeps the innermost loop on contiguous
// memory for each transpose case so the compiler can vectorise it.
void ag_sgemm(bool transposeA, bool transposeB,
              int64_t M, int64_t N, int64_t K,
              const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f) {
            memset(c, 0, (size_t)N * sizeof(float));
        }
        if (!transposeB) {
            // c[:] += a(i,k) * B[k, :]
            for (int64_t k = 0; k < K; k++) {
                float a = transposeA ? A[k * lda + i] : A[i * lda + k];
                if (a == 0.0f) continue;
                const float *b = B + k * ldb;
                for (int64_t j = 0; j < N; j++) {
                    c[j] += a * b[j];
                }
            }
        } else {
            // c[j] += dot(A[i, :], B[j, :])
            for (int64_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float sum = 0.0f;
                if (transposeA) {
                    for (int64_t k = 0; k < K; k++) sum += A[k * lda + i] * b[k];
                } else {
                    const float *a = A + i * lda;
                    for (int64_t k = 0; k < K; k++) sum += a[k] * b[k];
                }
                c[j] += sum;
            }
        }
    }
}
