#include "CAutogradKernels.h"

#include <math.h>

// Max pooling over planes [height, width]: each output takes the largest tap of its window
// (taps spaced by the dilation, windows moved by the stride over the image padded on each
// side) and records where it was, so the backward pass can send the gradient there. Ties
// go to the first tap in row-major order and a NaN always wins, as in PyTorch's CPU kernel.

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/// The first tap index >= 0 of a window starting at `start` with taps `dilation` apart,
/// and the end (exclusive) of its taps inside [0, size).
static inline void window_taps(int64_t start, int64_t kernel, int64_t dilation, int64_t size,
                               int64_t *first, int64_t *end) {
    int64_t last = min64(start + (kernel - 1) * dilation + 1, size);
    while (start < 0) start += dilation;
    *first = start;
    *end = last;
}

/// Four floats, and four 32-bit integers (comparison masks, positions), element-aligned: the
/// baseline vectors of every target (SSE2, NEON).
typedef float pool_vfloat __attribute__((vector_size(16), aligned(4), may_alias));
typedef int32_t pool_vint __attribute__((vector_size(16), aligned(4), may_alias));

/// Takes `candidate` (at `candidateAt`) where it beats `best` or is NaN, lane by lane: the
/// scalar loop's rule, so ties keep the earlier tap and a NaN wins.
static inline __attribute__((always_inline)) void take_larger(pool_vfloat *best, pool_vfloat *at,
                                                               pool_vfloat candidate, pool_vfloat candidateAt) {
    pool_vint take = (candidate > *best) | (candidate != candidate);
    *best = (pool_vfloat)((take & (pool_vint)candidate) | (~take & (pool_vint)*best));
    *at = (pool_vfloat)((take & (pool_vint)candidateAt) | (~take & (pool_vint)*at));
}

/// The 2x2 windows with stride 2 and no padding (the common case), one row of outputs:
/// four outputs at a time from eight inputs of each row split into even and odd taps,
/// the rest one by one. Positions are exact in float (planes of at most 2^24 pixels).
static void max_pool_2x2_row(const float *row0, const float *row1, int64_t width, int64_t y,
                             int64_t outW, float *output, float *indices) {
    int64_t ox = 0;
    const pool_vint steps = {0, 2, 4, 6};
    for (; ox + 4 <= outW; ox += 4) {
        int64_t x = 2 * ox;
        pool_vfloat top0 = *(const pool_vfloat *)(row0 + x), top1 = *(const pool_vfloat *)(row0 + x + 4);
        pool_vfloat bottom0 = *(const pool_vfloat *)(row1 + x), bottom1 = *(const pool_vfloat *)(row1 + x + 4);
        pool_vfloat a = __builtin_shufflevector(top0, top1, 0, 2, 4, 6);
        pool_vfloat b = __builtin_shufflevector(top0, top1, 1, 3, 5, 7);
        pool_vfloat c = __builtin_shufflevector(bottom0, bottom1, 0, 2, 4, 6);
        pool_vfloat d = __builtin_shufflevector(bottom0, bottom1, 1, 3, 5, 7);
        pool_vfloat at = __builtin_convertvector(steps + (int32_t)(y * width + x), pool_vfloat);
        pool_vfloat best = a, where = at;
        take_larger(&best, &where, b, at + 1.0f);
        take_larger(&best, &where, c, at + (float)width);
        take_larger(&best, &where, d, at + (float)(width + 1));
        *(pool_vfloat *)(output + ox) = best;
        *(pool_vfloat *)(indices + ox) = where;
    }
    for (; ox < outW; ox++) {
        int64_t x = 2 * ox;
        float best = row0[x];
        int64_t at = y * width + x;
        float b = row0[x + 1], c = row1[x], d = row1[x + 1];
        if (b > best || isnan(b)) { best = b; at = y * width + x + 1; }
        if (c > best || isnan(c)) { best = c; at = (y + 1) * width + x; }
        if (d > best || isnan(d)) { best = d; at = (y + 1) * width + x + 1; }
        output[ox] = best;
        indices[ox] = (float)at;
    }
}

void ag_max_pool2d(const float *input, int64_t planes, int64_t height, int64_t width,
                   int64_t kernelH, int64_t kernelW,
                   int64_t strideH, int64_t strideW,
                   int64_t padH, int64_t padW,
                   int64_t dilationH, int64_t dilationW,
                   int64_t outH, int64_t outW,
                   float *output, float *indices) {
    bool twoByTwo = kernelH == 2 && kernelW == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0
        && dilationH == 1 && dilationW == 1;
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *image = input + plane * height * width;
        float *values = output + plane * outH * outW, *where = indices + plane * outH * outW;
        for (int64_t oy = 0; oy < outH; oy++) {
            if (twoByTwo) {
                const float *row0 = image + 2 * oy * width;
                max_pool_2x2_row(row0, row0 + width, width, 2 * oy, outW, values + oy * outW, where + oy * outW);
                continue;
            }
            int64_t y0, y1;
            window_taps(oy * strideH - padH, kernelH, dilationH, height, &y0, &y1);
            for (int64_t ox = 0; ox < outW; ox++) {
                int64_t x0, x1;
                window_taps(ox * strideW - padW, kernelW, dilationW, width, &x0, &x1);
                float best = -INFINITY;
                int64_t at = y0 * width + x0;
                for (int64_t y = y0; y < y1; y += dilationH) {
                    for (int64_t x = x0; x < x1; x += dilationW) {
                        float v = image[y * width + x];
                        if (v > best || isnan(v)) {
                            best = v;
                            at = y * width + x;
                        }
                    }
                }
                values[oy * outW + ox] = best;
                where[oy * outW + ox] = (float)at;
            }
        }
    }
}

void ag_max_pool2d_backward(const float *grad, const float *indices, int64_t planes,
                            int64_t inputSize, int64_t outputSize, float *gradInput) {
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *g = grad + plane * outputSize, *where = indices + plane * outputSize;
        float *target = gradInput + plane * inputSize;
        for (int64_t i = 0; i < outputSize; i++) {
            target[(int64_t)where[i]] += g[i];
        }
    }
}
