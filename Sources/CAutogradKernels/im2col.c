#include "CAutogradKernels.h"
#include "kernels_internal.h"

// im2col and its adjoint, over a run [first, last) of output positions (position
// p = oy * outW + ox), so a convolution can unfold an image a block of columns at a time
// and keep the block in cache while the GEMM reads it, or unfold several images side by
// side (columns with a row stride larger than the run). For each (channel, kernel tap)
// row and output row oy, the output columns whose input x falls inside the image form
// one run [lo, hi); with stride 1 that run is a contiguous copy (or add), the rest is
// padding. The runs are short (an output row: 8 to 56 floats in typical networks), so
// they are copied with explicit vector moves (im2col_body.h: 4-wide on the portable path,
// 8-wide on AVX2, 16-wide on AVX-512) rather than loops the compiler would only vectorize
// from 32 floats on, and the position is tracked row by row, not divided out.

/// Four floats, loaded and stored unaligned; may alias any float.
typedef float ag_float4 __attribute__((vector_size(16), aligned(4), may_alias));
/// Eight floats, likewise.
typedef float ag_float8 __attribute__((vector_size(32), aligned(4), may_alias));

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/// The output columns ox whose input x = ox*stride + offset lies in [0, width).
static inline void valid_columns(int64_t outW, int64_t width, int64_t stride, int64_t offset,
                                 int64_t *first, int64_t *last) {
    // x >= 0  <=>  ox >= ceil(-offset / stride);  x < width  <=>  ox < ceil((width - offset) / stride)
    int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t hi = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride;
    if (hi > outW) hi = outW;
    if (lo > hi) lo = hi;
    *first = lo;
    *last = hi;
}

#define AG_I2C_LANES 4
#define AG_I2C_TARGET
#define AG_I2C_NAME(x) x##_portable
#include "im2col_body.h"

#if AG_X86
#define AG_I2C_LANES 8
#define AG_I2C_TARGET AG_TARGET_AVX2
#define AG_I2C_NAME(x) x##_avx2
#include "im2col_body.h"

#define AG_I2C_LANES 16
#define AG_I2C_TARGET AG_TARGET_AVX512
#define AG_I2C_NAME(x) x##_avx512
#include "im2col_body.h"

#define AG_I2C_LANES 16
#define AG_I2C_TARGET AG_TARGET_AVX2
#define AG_I2C_NAME(x) x##_avx512_on_avx2
#include "im2col_body.h"
#endif

void ag_im2col_range(const float *image, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, float *columns, int64_t ldColumns) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, im2col_range,
                      (image, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW,
                       outH, outW, first, last, columns, ldColumns));
}

void ag_col2im_range(const float *columns, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, int64_t ldColumns, float *image) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, col2im_range,
                      (columns, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW,
                       outH, outW, first, last, ldColumns, image));
}

void ag_im2col(const float *image, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *columns) {
    ag_im2col_range(image, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW,
                    dilationH, dilationW, outH, outW, 0, outH * outW, columns, outH * outW);
}

void ag_col2im(const float *columns, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *image) {
    ag_col2im_range(columns, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW,
                    dilationH, dilationW, outH, outW, 0, outH * outW, outH * outW, image);
}
