#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <math.h>

// Layer normalisation over rows of floats, forward and backward, with eight independent
// partial sums per reduction (so the loops vectorise instead of waiting on one chain of
// additions). The row loops are written once with the compiler's vector extension and
// compiled twice: for the baseline target (where a vector of eight is two SSE2 or NEON
// registers) and with AVX2 + FMA (one register), chosen at run time by the kernel path.

/// Eight floats, loaded and stored without alignment requirements.
typedef float ag_float8 __attribute__((vector_size(32), aligned(4)));

#define AG_ALWAYS_INLINE static inline __attribute__((always_inline))

// Macros rather than functions: a function taking or returning ag_float8 would have a
// different calling convention in the two compilations.
#define load8(p) (*(const ag_float8 *)(p))
#define store8(p, v) (*(ag_float8 *)(p) = (v))
/// The sum of the eight lanes of the variable `v`, pairwise.
#define sum8(v) ((((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) + (((v)[2] + (v)[6]) + ((v)[3] + (v)[7])))

AG_ALWAYS_INLINE void layer_norm_forward_rows(int64_t rows, int64_t width, const float *x, const float *weight,
                                              const float *bias, float eps, float *y, float *mean, float *rstd) {
    const int64_t vectorEnd = width / 8 * 8;
    for (int64_t row = 0; row < rows; row++) {
        const float *xr = x + row * width;
        float *yr = y + row * width;
        ag_float8 acc = {0};
        for (int64_t i = 0; i < vectorEnd; i += 8) acc += load8(xr + i);
        float sum = sum8(acc);
        for (int64_t i = vectorEnd; i < width; i++) sum += xr[i];
        const float mu = sum / (float)width;
        ag_float8 squares = {0};
        for (int64_t i = 0; i < vectorEnd; i += 8) {
            ag_float8 d = load8(xr + i) - mu;
            squares += d * d;
        }
        float sumSquares = sum8(squares);
        for (int64_t i = vectorEnd; i < width; i++) sumSquares += (xr[i] - mu) * (xr[i] - mu);
        const float rs = 1.0f / sqrtf(sumSquares / (float)width + eps);
        mean[row] = mu;
        rstd[row] = rs;
        for (int64_t i = 0; i < vectorEnd; i += 8) {
            ag_float8 v = (load8(xr + i) - mu) * rs;
            if (weight) v *= load8(weight + i);
            if (bias) v += load8(bias + i);
            store8(yr + i, v);
        }
        for (int64_t i = vectorEnd; i < width; i++) {
            float v = (xr[i] - mu) * rs;
            if (weight) v *= weight[i];
            if (bias) v += bias[i];
            yr[i] = v;
        }
    }
}

AG_ALWAYS_INLINE void layer_norm_backward_rows(int64_t rows, int64_t width, const float *x, const float *grad,
                                               const float *mean, const float *rstd, const float *weight, float *dx,
                                               float *dweight, float *dbias) {
    const int64_t vectorEnd = width / 8 * 8;
    for (int64_t row = 0; row < rows; row++) {
        const float *xr = x + row * width, *gr = grad + row * width;
        float *dxr = dx + row * width;
        const float mu = mean[row], rs = rstd[row];
        ag_float8 sumG8 = {0}, sumGX8 = {0};
        for (int64_t i = 0; i < vectorEnd; i += 8) {
            ag_float8 xhat = (load8(xr + i) - mu) * rs, g = load8(gr + i);
            ag_float8 gi = weight ? g * load8(weight + i) : g;
            sumG8 += gi;
            sumGX8 += gi * xhat;
            store8(dweight + i, load8(dweight + i) + g * xhat);
            store8(dbias + i, load8(dbias + i) + g);
        }
        float sumG = sum8(sumG8), sumGX = sum8(sumGX8);
        for (int64_t i = vectorEnd; i < width; i++) {
            float xhat = (xr[i] - mu) * rs, g = gr[i];
            float gi = weight ? g * weight[i] : g;
            sumG += gi;
            sumGX += gi * xhat;
            dweight[i] += g * xhat;
            dbias[i] += g;
        }
        const float meanG = sumG / (float)width, meanGX = sumGX / (float)width;
        for (int64_t i = 0; i < vectorEnd; i += 8) {
            ag_float8 xhat = (load8(xr + i) - mu) * rs, g = load8(gr + i);
            ag_float8 gi = weight ? g * load8(weight + i) : g;
            store8(dxr + i, rs * (gi - meanG - xhat * meanGX));
        }
        for (int64_t i = vectorEnd; i < width; i++) {
            float xhat = (xr[i] - mu) * rs, g = gr[i];
            float gi = weight ? g * weight[i] : g;
            dxr[i] = rs * (gi - meanG - xhat * meanGX);
        }
    }
}

static void layer_norm_forward_portable(int64_t rows, int64_t width, const float *x, const float *weight,
                                        const float *bias, float eps, float *y, float *mean, float *rstd) {
    layer_norm_forward_rows(rows, width, x, weight, bias, eps, y, mean, rstd);
}

static void layer_norm_backward_portable(int64_t rows, int64_t width, const float *x, const float *grad,
                                         const float *mean, const float *rstd, const float *weight, float *dx,
                                         float *dweight, float *dbias) {
    layer_norm_backward_rows(rows, width, x, grad, mean, rstd, weight, dx, dweight, dbias);
}

#if AG_X86
AG_TARGET_AVX2
static void layer_norm_forward_avx2(int64_t rows, int64_t width, const float *x, const float *weight,
                                    const float *bias, float eps, float *y, float *mean, float *rstd) {
    layer_norm_forward_rows(rows, width, x, weight, bias, eps, y, mean, rstd);
}

AG_TARGET_AVX2
static void layer_norm_backward_avx2(int64_t rows, int64_t width, const float *x, const float *grad,
                                     const float *mean, const float *rstd, const float *weight, float *dx,
                                     float *dweight, float *dbias) {
    layer_norm_backward_rows(rows, width, x, grad, mean, rstd, weight, dx, dweight, dbias);
}
#endif

void ag_layer_norm_forward(int64_t rows, int64_t width, const float *x, const float *weight, const float *bias,
                           float eps, float *y, float *mean, float *rstd) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        layer_norm_forward_avx2(rows, width, x, weight, bias, eps, y, mean, rstd);
        return;
    }
#endif
    layer_norm_forward_portable(rows, width, x, weight, bias, eps, y, mean, rstd);
}

void ag_layer_norm_backward(int64_t rows, int64_t width, const float *x, const float *grad, const float *mean,
                            const float *rstd, const float *weight, float *dx, float *dweight, float *dbias) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        layer_norm_backward_avx2(rows, width, x, grad, mean, rstd, weight, dx, dweight, dbias);
        return;
    }
#endif
    layer_norm_backward_portable(rows, width, x, grad, mean, rstd, weight, dx, dweight, dbias);
}
