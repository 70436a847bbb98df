#include "CAutogradKernels.h"

#include <string.h>

// im2col and its adjoint. For each (channel, kernel tap) row and output row oy, the
// output columns whose input x falls inside the image form one run [first, last); with
// stride 1 that run is a contiguous copy (or add), the rest is padding.

/// The output columns ox whose input x = ox*stride - pad + tap lies in [0, width).
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

void ag_im2col(const float *image, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *columns) {
    int64_t row = 0;
    for (int64_t c = 0; c < channels; c++) {
        const float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                float *out = columns + row * outH * outW;
                int64_t offset = kj * dilationW - padW, first, last;
                valid_columns(outW, width, strideW, offset, &first, &last);
                for (int64_t oy = 0; oy < outH; oy++) {
                    float *target = out + oy * outW;
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y < 0 || y >= height) {
                        memset(target, 0, (size_t)outW * sizeof(float));
                        continue;
                    }
                    const float *source = plane + y * width + offset;
                    for (int64_t ox = 0; ox < first; ox++) target[ox] = 0.0f;
                    if (strideW == 1) {
                        for (int64_t ox = first; ox < last; ox++) target[ox] = source[ox];
                    } else {
                        for (int64_t ox = first; ox < last; ox++) target[ox] = source[ox * strideW];
                    }
                    for (int64_t ox = last; ox < outW; ox++) target[ox] = 0.0f;
                }
            }
        }
    }
}

void ag_col2im(const float *columns, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *image) {
    int64_t row = 0;
    for (int64_t c = 0; c < channels; c++) {
        float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                const float *in = columns + row * outH * outW;
                int64_t offset = kj * dilationW - padW, first, last;
                valid_columns(outW, width, strideW, offset, &first, &last);
                for (int64_t oy = 0; oy < outH; oy++) {
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y < 0 || y >= height) continue;
                    const float *source = in + oy * outW;
                    float *target = plane + y * width + offset;
                    if (strideW == 1) {
                        for (int64_t ox = first; ox < last; ox++) target[ox] += source[ox];
                    } else {
                        for (int64_t ox = first; ox < last; ox++) target[ox * strideW] += source[ox];
                    }
                }
            }
        }
    }
}
