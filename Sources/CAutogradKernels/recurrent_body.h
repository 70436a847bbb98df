// The elementwise part of one time step of an LSTM or GRU layer over a batch, written once
// over a lane count like the elementwise kernels. recurrent.c includes this file once per
// kernel path, after defining AG_EW_LANES, AG_EW_TARGET and AG_EW_NAME (see
// vector_math_body.h), and gets AG_EW_NAME(lstm_forward), AG_EW_NAME(lstm_backward),
// AG_EW_NAME(gru_forward) and AG_EW_NAME(gru_backward), the routines behind
// CAutogradKernels.h's ag_lstm_forward_step, ag_lstm_backward_step, ag_gru_forward_step and
// ag_gru_backward_step (arguments as there).
// Each row's last partial vector goes through the same vector code as the others, so a
// unit's result does not depend on where in the row it sits.

#include "vector_math_body.h"

/// The `count` (≤ L) floats at `p`, the other lanes 0.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(load_up_to)(const float *p, int64_t count) {
    return count == L ? *(const V *)p : AG_EW_NAME(load_partial)(p, count);
}

/// Stores the first `count` (≤ L) lanes of `v` to `p`.
AG_EW_TARGET
static inline __attribute__((always_inline)) void AG_EW_NAME(store_up_to)(float *p, V v, int64_t count) {
    if (count == L) {
        *(V *)p = v;
    } else {
        AG_EW_NAME(store_partial)(p, v, count);
    }
}

/// The `count` floats at `p`, or zeros when `p` is NULL (a missing bias).
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(load_or_zero)(const float *p, int64_t count) {
    return p ? AG_EW_NAME(load_up_to)(p, count) : (V){0};
}

AG_EW_TARGET
static void AG_EW_NAME(lstm_forward)(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                                     const float *bias, float *gates, int64_t gatesRowStride, const float *cPrev,
                                     int64_t cPrevRowStride, float *c, int64_t cRowStride, float *h,
                                     int64_t hRowStride) {
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *cp = cPrev + b * cPrevRowStride;
        float *g = gates + b * gatesRowStride, *cr = c + b * cRowStride, *hr = h + b * hRowStride;
        for (int64_t j = 0; j < hidden; j += L) {
            int64_t count = hidden - j < L ? hidden - j : L;
#define AG_PRE(block)                                                                                     \
    (AG_EW_NAME(load_up_to)(g + (block) * hidden + j, count) + AG_EW_NAME(load_up_to)(xr + (block) * hidden + j, count) \
     + AG_EW_NAME(load_or_zero)(bias ? bias + (block) * hidden + j : NULL, count))
            V i = AG_EW_NAME(sigmoid)(AG_PRE(0));
            V f = AG_EW_NAME(sigmoid)(AG_PRE(1));
            V n = AG_EW_NAME(tanh)(AG_PRE(2));
            V o = AG_EW_NAME(sigmoid)(AG_PRE(3));
#undef AG_PRE
            V cell = f * AG_EW_NAME(load_up_to)(cp + j, count) + i * n;
            AG_EW_NAME(store_up_to)(g + j, i, count);
            AG_EW_NAME(store_up_to)(g + hidden + j, f, count);
            AG_EW_NAME(store_up_to)(g + 2 * hidden + j, n, count);
            AG_EW_NAME(store_up_to)(g + 3 * hidden + j, o, count);
            AG_EW_NAME(store_up_to)(cr + j, cell, count);
            AG_EW_NAME(store_up_to)(hr + j, o * AG_EW_NAME(tanh)(cell), count);
        }
    }
}

AG_EW_TARGET
static void AG_EW_NAME(lstm_backward)(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                                      const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                                      const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                                      float *dGates, int64_t dGatesRowStride) {
    for (int64_t b = 0; b < batch; b++) {
        const float *g = gates + b * gatesRowStride, *cp = cPrev + b * cPrevRowStride, *cr = c + b * cRowStride;
        const float *gh = gradH + b * gradHRowStride, *dn = dhNext + b * hidden;
        float *dcr = dc + b * hidden, *dg = dGates + b * dGatesRowStride;
        for (int64_t j = 0; j < hidden; j += L) {
            int64_t count = hidden - j < L ? hidden - j : L;
            V i = AG_EW_NAME(load_up_to)(g + j, count), f = AG_EW_NAME(load_up_to)(g + hidden + j, count);
            V n = AG_EW_NAME(load_up_to)(g + 2 * hidden + j, count);
            V o = AG_EW_NAME(load_up_to)(g + 3 * hidden + j, count);
            V tc = AG_EW_NAME(tanh)(AG_EW_NAME(load_up_to)(cr + j, count));
            V dh = AG_EW_NAME(load_up_to)(gh + j, count) + AG_EW_NAME(load_up_to)(dn + j, count);
            V dcell = AG_EW_NAME(load_up_to)(dcr + j, count) + dh * o * (1.0f - tc * tc);
            AG_EW_NAME(store_up_to)(dcr + j, dcell * f, count);
            AG_EW_NAME(store_up_to)(dg + j, dcell * n * (i * (1.0f - i)), count);
            AG_EW_NAME(store_up_to)(dg + hidden + j, dcell * AG_EW_NAME(load_up_to)(cp + j, count) * (f * (1.0f - f)),
                                    count);
            AG_EW_NAME(store_up_to)(dg + 2 * hidden + j, dcell * i * (1.0f - n * n), count);
            AG_EW_NAME(store_up_to)(dg + 3 * hidden + j, dh * tc * (o * (1.0f - o)), count);
        }
    }
}

AG_EW_TARGET
static void AG_EW_NAME(gru_forward)(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                                    const float *inputBias, const float *hh, const float *bias, const float *hPrev,
                                    int64_t hPrevRowStride, float *work, int64_t workRowStride, float *h,
                                    int64_t hRowStride) {
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *hhr = hh + b * 3 * hidden, *hp = hPrev + b * hPrevRowStride;
        float *w = work + b * workRowStride, *hr = h + b * hRowStride;
        for (int64_t j = 0; j < hidden; j += L) {
            int64_t count = hidden - j < L ? hidden - j : L;
#define AG_BIAS(p, block) AG_EW_NAME(load_or_zero)((p) ? (p) + (block) * hidden + j : NULL, count)
#define AG_ROW(p, block) AG_EW_NAME(load_up_to)((p) + (block) * hidden + j, count)
            V hn = AG_ROW(hhr, 2) + AG_BIAS(bias, 2);
            V r = AG_EW_NAME(sigmoid)((AG_ROW(xr, 0) + AG_BIAS(inputBias, 0)) + (AG_ROW(hhr, 0) + AG_BIAS(bias, 0)));
            V z = AG_EW_NAME(sigmoid)((AG_ROW(xr, 1) + AG_BIAS(inputBias, 1)) + (AG_ROW(hhr, 1) + AG_BIAS(bias, 1)));
            V n = AG_EW_NAME(tanh)((AG_ROW(xr, 2) + AG_BIAS(inputBias, 2)) + r * hn);
#undef AG_BIAS
#undef AG_ROW
            AG_EW_NAME(store_up_to)(w + j, r, count);
            AG_EW_NAME(store_up_to)(w + hidden + j, z, count);
            AG_EW_NAME(store_up_to)(w + 2 * hidden + j, n, count);
            AG_EW_NAME(store_up_to)(w + 3 * hidden + j, hn, count);
            AG_EW_NAME(store_up_to)(hr + j, n + z * (AG_EW_NAME(load_up_to)(hp + j, count) - n), count);
        }
    }
}

AG_EW_TARGET
static void AG_EW_NAME(gru_backward)(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                                     const float *hPrev, int64_t hPrevRowStride, const float *gradH,
                                     int64_t gradHRowStride, float *dh, float *dx, int64_t dxRowStride, float *dhh,
                                     int64_t dhhRowStride) {
    for (int64_t b = 0; b < batch; b++) {
        const float *w = work + b * workRowStride, *hp = hPrev + b * hPrevRowStride, *gh = gradH + b * gradHRowStride;
        float *d = dh + b * hidden, *dxr = dx + b * dxRowStride, *dhr = dhh + b * dhhRowStride;
        for (int64_t j = 0; j < hidden; j += L) {
            int64_t count = hidden - j < L ? hidden - j : L;
            V r = AG_EW_NAME(load_up_to)(w + j, count), z = AG_EW_NAME(load_up_to)(w + hidden + j, count);
            V n = AG_EW_NAME(load_up_to)(w + 2 * hidden + j, count);
            V hn = AG_EW_NAME(load_up_to)(w + 3 * hidden + j, count);
            V g = AG_EW_NAME(load_up_to)(gh + j, count) + AG_EW_NAME(load_up_to)(d + j, count);
            V dnPre = g * (1.0f - z) * (1.0f - n * n);
            V dzPre = g * (AG_EW_NAME(load_up_to)(hp + j, count) - n) * (z * (1.0f - z));
            V drPre = dnPre * hn * (r * (1.0f - r));
            AG_EW_NAME(store_up_to)(dxr + j, drPre, count);
            AG_EW_NAME(store_up_to)(dxr + hidden + j, dzPre, count);
            AG_EW_NAME(store_up_to)(dxr + 2 * hidden + j, dnPre, count);
            AG_EW_NAME(store_up_to)(dhr + j, drPre, count);
            AG_EW_NAME(store_up_to)(dhr + hidden + j, dzPre, count);
            AG_EW_NAME(store_up_to)(dhr + 2 * hidden + j, dnPre * r, count);
            AG_EW_NAME(store_up_to)(d + j, g * z, count);
        }
    }
}

#include "vector_math_end.h"
