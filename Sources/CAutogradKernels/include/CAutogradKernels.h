#ifndef C_AUTOGRAD_KERNELS_H
#define C_AUTOGRAD_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major single-precision matrix product: C = op(A) * op(B) + beta * C.
///
/// op(A) is M x K: A itself (lda = its row stride) or, when transposeA, the transpose of a
/// K x M matrix. op(B) is K x N likewise. C is M x N with row stride ldc. beta is 0 or 1.
void ag_sgemm(bool transposeA, bool transposeB,
              int64_t M, int64_t N, int64_t K,
              const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);

/// Unfolds one image [channels, height, width] into columns
/// [channels * kernelH * kernelW, outH * outW] for convolution as a matrix product.
/// Positions that fall in the zero padding read as 0.
void ag_im2col(const float *image, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *columns);

/// The adjoint of ag_im2col: adds each column entry back into the image position it was
/// read from (positions in the padding are dropped). The image must be zeroed by the caller.
void ag_col2im(const float *columns, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *image);

#ifdef __cplusplus
}
#endif

#endif
