#include "CAutogradKernels.h"

// im2col and its adjoint, over a run [first, last) of output positions (position
// p = oy * outW + ox), so a convolution can unfold an image a block of columns at a time
// and keep the block in cache while the GEMM reads it, or unfold several images side by
// side (columns with a row stride larger than the run). For each (channel, kernel tap)
// row and output row oy, the output columns whose input x falls inside the image form
// one run [lo, hi); with stride 1 that run is a contiguous copy (or add), the rest is
// padding. The runs are short (an output row: 8 to 56 floats in typical networks), so
// they are copied with 4-wide vector moves rather than loops the compiler would only
// vectorize from 32 floats on, and the position is tracked row by row, not divided out.

/// Four floats, loaded and stored unaligned; may alias any float.
typedef float ag_float4 __attribute__((vector_size(16), aligned(4), may_alias));

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/// dst[0..<n] = src[0..<n].
static inline void copy_run(float *restrict dst, const float *restrict src, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        ag_float4 a = *(const ag_float4 *)(src + i), b = *(const ag_float4 *)(src + i + 4);
        *(ag_float4 *)(dst + i) = a;
        *(ag_float4 *)(dst + i + 4) = b;
    }
    if (i + 4 <= n) {
        *(ag_float4 *)(dst + i) = *(const ag_float4 *)(src + i);
        i += 4;
    }
    for (; i < n; i++) dst[i] = src[i];
}

/// dst[0..<n] = src[0], src[stride], ... (a copy_run when stride is 1).
static inline void gather_run(float *restrict dst, const float *restrict src, int64_t stride, int64_t n) {
    if (stride == 1) {
        copy_run(dst, src, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
}

/// dst[0..<n] += src[0..<n].
static inline void add_run(float *restrict dst, const float *restrict src, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        ag_float4 a = *(const ag_float4 *)(src + i), b = *(const ag_float4 *)(src + i + 4);
        *(ag_float4 *)(dst + i) += a;
        *(ag_float4 *)(dst + i + 4) += b;
    }
    if (i + 4 <= n) {
        *(ag_float4 *)(dst + i) += *(const ag_float4 *)(src + i);
        i += 4;
    }
    for (; i < n; i++) dst[i] += src[i];
}

/// dst[0], dst[stride], ... += src[0..<n] (an add_run when stride is 1).
static inline void scatter_add_run(float *restrict dst, int64_t stride, const float *restrict src, int64_t n) {
    if (stride == 1) {
        add_run(dst, src, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i * stride] += src[i];
}

/// dst[0..<n] = 0.
static inline void zero_run(float *dst, int64_t n) {
    const ag_float4 zero = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) *(ag_float4 *)(dst + i) = zero;
    for (; i < n; i++) dst[i] = 0.0f;
}

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

void ag_im2col_range(const float *image, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, float *columns, int64_t ldColumns) {
    (void)outH;
    int64_t firstRow = first / outW, firstColumn = first % outW, row = 0;
    // Runs of whole output rows (whole images, and most blocks) take a shorter loop.
    bool wholeRows = firstColumn == 0 && (last - first) % outW == 0;
    for (int64_t c = 0; c < channels; c++) {
        const float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                // target[ox] is the column of (oy, ox); it moves on by outW per output row.
                float *target = columns + row * ldColumns - firstColumn;
                int64_t y = firstRow * strideH - padH + ki * dilationH;
                if (wholeRows) {
                    for (int64_t oy = 0; oy < (last - first) / outW; oy++, target += outW, y += strideH) {
                        if (y < 0 || y >= height) {
                            zero_run(target, outW);
                            continue;
                        }
                        zero_run(target, lo);
                        gather_run(target + lo, plane + y * width + offset + lo * strideW, strideW, hi - lo);
                        zero_run(target + hi, outW - hi);
                    }
                    continue;
                }
                for (int64_t p = first, ox0 = firstColumn; p < last; target += outW, y += strideH, ox0 = 0) {
                    int64_t ox1 = min64(outW, ox0 + (last - p));
                    p += ox1 - ox0;
                    if (y < 0 || y >= height) {
                        zero_run(target + ox0, ox1 - ox0);
                        continue;
                    }
                    int64_t a = min64(max64(lo, ox0), ox1), b = max64(min64(hi, ox1), a);
                    zero_run(target + ox0, a - ox0);
                    gather_run(target + a, plane + y * width + offset + a * strideW, strideW, b - a);
                    zero_run(target + b, ox1 - b);
                }
            }
        }
    }
}

void ag_col2im_range(const float *columns, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, int64_t ldColumns, float *image) {
    (void)outH;
    int64_t firstRow = first / outW, firstColumn = first % outW, row = 0;
    bool wholeRows = firstColumn == 0 && (last - first) % outW == 0;
    for (int64_t c = 0; c < channels; c++) {
        float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                const float *source = columns + row * ldColumns - firstColumn;   // source[ox], as in im2col
                int64_t y = firstRow * strideH - padH + ki * dilationH;
                if (wholeRows) {
                    for (int64_t oy = 0; oy < (last - first) / outW; oy++, source += outW, y += strideH) {
                        if (y >= 0 && y < height) {
                            scatter_add_run(plane + y * width + offset + lo * strideW, strideW, source + lo, hi - lo);
                        }
                    }
                    continue;
                }
                for (int64_t p = first, ox0 = firstColumn; p < last; source += outW, y += strideH, ox0 = 0) {
                    int64_t ox1 = min64(outW, ox0 + (last - p));
                    p += ox1 - ox0;
                    if (y < 0 || y >= height) continue;
                    int64_t a = max64(lo, ox0), b = min64(hi, ox1);
                    scatter_add_run(plane + y * width + offset + a * strideW, strideW, source + a, b - a);
                }
            }
        }
    }
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
