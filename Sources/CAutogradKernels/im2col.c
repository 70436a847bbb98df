#include "CAutogradKernels.h"

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
                for (int64_t oy = 0; oy < outH; oy++) {
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y < 0 || y >= height) {
                        for (int64_t ox = 0; ox < outW; ox++) out[oy * outW + ox] = 0.0f;
                        continue;
                    }
                    for (int64_t ox = 0; ox < outW; ox++) {
                        int64_t x = ox * strideW - padW + kj * dilationW;
                        out[oy * outW + ox] = (x >= 0 && x < width) ? plane[y * width + x] : 0.0f;
                    }
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
                for (int64_t oy = 0; oy < outH; oy++) {
                    int64_t y = oy * strideH - padH + ki * dilationH;
                    if (y < 0 || y >= height) continue;
                    for (int64_t ox = 0; ox < outW; ox++) {
                        int64_t x = ox * strideW - padW + kj * dilationW;
                        if (x >= 0 && x < width) plane[y * width + x] += in[oy * outW + ox];
                    }
                }
            }
        }
    }
}
