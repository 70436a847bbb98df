#include "CAutogradKernels.h"

// im2col and its adjoint, over a run [first, last) of output positions (position
// p = oy * outW + ox), so a convolution can unfold an image a block of columns at a time
// and keep the block in cache while the GEMM reads it. For each (channel, kernel tap)
// row and output row oy, the output columns whose input x falls inside the image form
// one run [lo, hi); with stride 1 that run is a contiguous copy (or add), the rest is
// padding.

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

void ag_im2col_range(const float *image, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, float *columns) {
    (void)outH;
    int64_t count = last - first, row = 0;
    for (int64_t c = 0; c < channels; c++) {
        const float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                for (int64_t p = first; p < last;) {
                    int64_t oy = p / outW, ox0 = p % outW, ox1 = min64(outW, ox0 + (last - p));
                    float *target = columns + row * count + (p - first) - ox0;   // target[ox]
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y < 0 || y >= height) {
                        for (int64_t ox = ox0; ox < ox1; ox++) target[ox] = 0.0f;
                    } else {
                        const float *source = plane + y * width + offset;
                        int64_t a = min64(max64(lo, ox0), ox1), b = max64(min64(hi, ox1), a);
                        for (int64_t ox = ox0; ox < a; ox++) target[ox] = 0.0f;
                        if (strideW == 1) {
                            for (int64_t ox = a; ox < b; ox++) target[ox] = source[ox];
                        } else {
                            for (int64_t ox = a; ox < b; ox++) target[ox] = source[ox * strideW];
                        }
                        for (int64_t ox = b; ox < ox1; ox++) target[ox] = 0.0f;
                    }
                    p += ox1 - ox0;
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
                     int64_t first, int64_t last, float *image) {
    (void)outH;
    int64_t count = last - first, row = 0;
    for (int64_t c = 0; c < channels; c++) {
        float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                for (int64_t p = first; p < last;) {
                    int64_t oy = p / outW, ox0 = p % outW, ox1 = min64(outW, ox0 + (last - p));
                    const float *source = columns + row * count + (p - first) - ox0;   // source[ox]
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y >= 0 && y < height) {
                        float *target = plane + y * width + offset;
                        int64_t a = max64(lo, ox0), b = min64(hi, ox1);
                        if (strideW == 1) {
                            for (int64_t ox = a; ox < b; ox++) target[ox] += source[ox];
                        } else {
                            for (int64_t ox = a; ox < b; ox++) target[ox * strideW] += source[ox];
                        }
                    }
                    p += ox1 - ox0;
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
                    dilationH, dilationW, outH, outW, 0, outH * outW, columns);
}

void ag_col2im(const float *columns, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *image) {
    ag_col2im_range(columns, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW,
                    dilationH, dilationW, outH, outW, 0, outH * outW, image);
}
