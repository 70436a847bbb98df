#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <math.h>

#if AG_X86
#include <immintrin.h>
#endif

// The elementwise part of one time step of an LSTM or GRU layer over a batch, in single
// precision: the gate nonlinearities and the state update in one pass (forward), and
// their derivatives in one pass (backward). The matrix products around them (h·Whhᵀ,
// dGates·Whh) run in the GEMM kernels; see NDArray+Recurrent.swift for the whole layer.
//
// Gate blocks follow PyTorch: LSTM rows hold i, f, g, o (each `hidden` wide), GRU rows
// r, z, n. The AVX2 path evaluates exp and tanh with Cephes' single-precision polynomials
// eight lanes at a time (a few ulp, like the vectorised functions PyTorch uses); the
// portable path calls the C library.

// MARK: Portable

static inline float sigmoid_scalar(float x) { return 1.0f / (1.0f + expf(-x)); }

static void lstm_forward_portable(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                                  const float *bias, float *gates, int64_t gatesRowStride, const float *cPrev, int64_t cPrevRowStride,
                                  float *c, int64_t cRowStride, float *h, int64_t hRowStride, int64_t first,
                                  int64_t last) {
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *cp = cPrev + b * cPrevRowStride;
        float *g = gates + b * gatesRowStride, *cr = c + b * cRowStride, *hr = h + b * hRowStride;
        for (int64_t j = first; j < last; j++) {
            float bi = bias ? bias[j] : 0, bf = bias ? bias[hidden + j] : 0;
            float bg = bias ? bias[2 * hidden + j] : 0, bo = bias ? bias[3 * hidden + j] : 0;
            float i = sigmoid_scalar(g[j] + xr[j] + bi);
            float f = sigmoid_scalar(g[hidden + j] + xr[hidden + j] + bf);
            float n = tanhf(g[2 * hidden + j] + xr[2 * hidden + j] + bg);
            float o = sigmoid_scalar(g[3 * hidden + j] + xr[3 * hidden + j] + bo);
            float cell = f * cp[j] + i * n;
            g[j] = i; g[hidden + j] = f; g[2 * hidden + j] = n; g[3 * hidden + j] = o;
            cr[j] = cell;
            hr[j] = o * tanhf(cell);
        }
    }
}

static void lstm_backward_portable(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                                   const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                                   const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                                   float *dGates, int64_t dGatesRowStride, int64_t first, int64_t last) {
    for (int64_t b = 0; b < batch; b++) {
        const float *g = gates + b * gatesRowStride, *cp = cPrev + b * cPrevRowStride, *cr = c + b * cRowStride;
        const float *gh = gradH + b * gradHRowStride, *dn = dhNext + b * hidden;
        float *dcr = dc + b * hidden, *dg = dGates + b * dGatesRowStride;
        for (int64_t j = first; j < last; j++) {
            float i = g[j], f = g[hidden + j], n = g[2 * hidden + j], o = g[3 * hidden + j];
            float tc = tanhf(cr[j]);
            float dh = gh[j] + dn[j];
            float dcell = dcr[j] + dh * o * (1 - tc * tc);
            dcr[j] = dcell * f;
            dg[j] = dcell * n * i * (1 - i);
            dg[hidden + j] = dcell * cp[j] * f * (1 - f);
            dg[2 * hidden + j] = dcell * i * (1 - n * n);
            dg[3 * hidden + j] = dh * tc * o * (1 - o);
        }
    }
}

static void gru_forward_portable(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                                 const float *inputBias, const float *hh, const float *bias, const float *hPrev, int64_t hPrevRowStride,
                                 float *work, int64_t workRowStride, float *h, int64_t hRowStride, int64_t first,
                                 int64_t last) {
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *hhr = hh + b * 3 * hidden, *hp = hPrev + b * hPrevRowStride;
        float *w = work + b * workRowStride, *hr = h + b * hRowStride;
        for (int64_t j = first; j < last; j++) {
            float hn = hhr[2 * hidden + j] + (bias ? bias[2 * hidden + j] : 0);
            float xr0 = xr[j] + (inputBias ? inputBias[j] : 0);
            float xr1 = xr[hidden + j] + (inputBias ? inputBias[hidden + j] : 0);
            float xr2 = xr[2 * hidden + j] + (inputBias ? inputBias[2 * hidden + j] : 0);
            float r = sigmoid_scalar(xr0 + (hhr[j] + (bias ? bias[j] : 0)));
            float z = sigmoid_scalar(xr1 + (hhr[hidden + j] + (bias ? bias[hidden + j] : 0)));
            float n = tanhf(xr2 + r * hn);
            w[j] = r; w[hidden + j] = z; w[2 * hidden + j] = n; w[3 * hidden + j] = hn;
            hr[j] = n + z * (hp[j] - n);
        }
    }
}

static void gru_backward_portable(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                                  const float *hPrev, int64_t hPrevRowStride, const float *gradH,
                                  int64_t gradHRowStride, float *dh, float *dx, int64_t dxRowStride, float *dhh,
                                  int64_t dhhRowStride, int64_t first, int64_t last) {
    for (int64_t b = 0; b < batch; b++) {
        const float *w = work + b * workRowStride, *hp = hPrev + b * hPrevRowStride, *gh = gradH + b * gradHRowStride;
        float *d = dh + b * hidden, *dxr = dx + b * dxRowStride, *dhr = dhh + b * dhhRowStride;
        for (int64_t j = first; j < last; j++) {
            float r = w[j], z = w[hidden + j], n = w[2 * hidden + j], hn = w[3 * hidden + j];
            float g = gh[j] + d[j];
            float dnPre = g * (1 - z) * (1 - n * n);
            float dzPre = g * (hp[j] - n) * z * (1 - z);
            float drPre = dnPre * hn * r * (1 - r);
            dxr[j] = drPre; dxr[hidden + j] = dzPre; dxr[2 * hidden + j] = dnPre;
            dhr[j] = drPre; dhr[hidden + j] = dzPre; dhr[2 * hidden + j] = dnPre * r;
            d[j] = g * z;
        }
    }
}

// MARK: AVX2

#if AG_X86
/// e^x for eight floats (Cephes' expf: x = n·ln 2 + r, e^r by a degree-5 polynomial);
/// inputs are clamped to [-87.3, 88.4], so the result is finite and positive.
AG_TARGET_AVX2
static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365447505531f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// 1 / (1 + e^-x) for eight floats.
AG_TARGET_AVX2
static inline __m256 sigmoid_avx2(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// tanh x for eight floats (Cephes' tanhf): an odd polynomial below |x| = 0.625, else
/// 1 - 2 / (e^2|x| + 1) with the sign of x.
AG_TARGET_AVX2
static inline __m256 tanh_avx2(__m256 x) {
    __m256 signBit = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 magnitude = _mm256_andnot_ps(signBit, x);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    __m256 e = exp_avx2(_mm256_add_ps(magnitude, magnitude));
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    large = _mm256_or_ps(large, _mm256_and_ps(signBit, x));
    __m256 useSmall = _mm256_cmp_ps(magnitude, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm256_blendv_ps(large, small, useSmall);
}

AG_TARGET_AVX2
static void lstm_forward_avx2(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                              const float *bias, float *gates, int64_t gatesRowStride, const float *cPrev, int64_t cPrevRowStride,
                              float *c, int64_t cRowStride, float *h, int64_t hRowStride) {
    int64_t vectorEnd = hidden / 8 * 8;
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *cp = cPrev + b * cPrevRowStride;
        float *g = gates + b * gatesRowStride, *cr = c + b * cRowStride, *hr = h + b * hRowStride;
        for (int64_t j = 0; j < vectorEnd; j += 8) {
#define AG_PRE(block)                                                                               \
    _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(g + (block) * hidden + j), _mm256_loadu_ps(xr + (block) * hidden + j)), \
                  bias ? _mm256_loadu_ps(bias + (block) * hidden + j) : _mm256_setzero_ps())
            __m256 i = sigmoid_avx2(AG_PRE(0));
            __m256 f = sigmoid_avx2(AG_PRE(1));
            __m256 n = tanh_avx2(AG_PRE(2));
            __m256 o = sigmoid_avx2(AG_PRE(3));
#undef AG_PRE
            __m256 cell = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(cp + j)), _mm256_mul_ps(i, n));
            _mm256_storeu_ps(g + j, i);
            _mm256_storeu_ps(g + hidden + j, f);
            _mm256_storeu_ps(g + 2 * hidden + j, n);
            _mm256_storeu_ps(g + 3 * hidden + j, o);
            _mm256_storeu_ps(cr + j, cell);
            _mm256_storeu_ps(hr + j, _mm256_mul_ps(o, tanh_avx2(cell)));
        }
    }
    if (vectorEnd < hidden) {
        lstm_forward_portable(batch, hidden, x, xRowStride, bias, gates, gatesRowStride, cPrev, cPrevRowStride, c,
                              cRowStride, h, hRowStride, vectorEnd, hidden);
    }
}

AG_TARGET_AVX2
static void lstm_backward_avx2(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                               const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                               const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                               float *dGates, int64_t dGatesRowStride) {
    int64_t vectorEnd = hidden / 8 * 8;
    __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t b = 0; b < batch; b++) {
        const float *g = gates + b * gatesRowStride, *cp = cPrev + b * cPrevRowStride, *cr = c + b * cRowStride;
        const float *gh = gradH + b * gradHRowStride, *dn = dhNext + b * hidden;
        float *dcr = dc + b * hidden, *dg = dGates + b * dGatesRowStride;
        for (int64_t j = 0; j < vectorEnd; j += 8) {
            __m256 i = _mm256_loadu_ps(g + j), f = _mm256_loadu_ps(g + hidden + j);
            __m256 n = _mm256_loadu_ps(g + 2 * hidden + j), o = _mm256_loadu_ps(g + 3 * hidden + j);
            __m256 tc = tanh_avx2(_mm256_loadu_ps(cr + j));
            __m256 dh = _mm256_add_ps(_mm256_loadu_ps(gh + j), _mm256_loadu_ps(dn + j));
            __m256 dcell = _mm256_fmadd_ps(_mm256_mul_ps(dh, o), _mm256_fnmadd_ps(tc, tc, one), _mm256_loadu_ps(dcr + j));
            _mm256_storeu_ps(dcr + j, _mm256_mul_ps(dcell, f));
            _mm256_storeu_ps(dg + j, _mm256_mul_ps(_mm256_mul_ps(dcell, n), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
            _mm256_storeu_ps(dg + hidden + j, _mm256_mul_ps(_mm256_mul_ps(dcell, _mm256_loadu_ps(cp + j)),
                                                            _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
            _mm256_storeu_ps(dg + 2 * hidden + j, _mm256_mul_ps(_mm256_mul_ps(dcell, i), _mm256_fnmadd_ps(n, n, one)));
            _mm256_storeu_ps(dg + 3 * hidden + j, _mm256_mul_ps(_mm256_mul_ps(dh, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
        }
    }
    if (vectorEnd < hidden) {
        lstm_backward_portable(batch, hidden, gates, gatesRowStride, cPrev, cPrevRowStride, c, cRowStride, gradH,
                               gradHRowStride, dhNext, dc, dGates, dGatesRowStride, vectorEnd, hidden);
    }
}

AG_TARGET_AVX2
static void gru_forward_avx2(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride,
                             const float *inputBias, const float *hh, const float *bias, const float *hPrev, int64_t hPrevRowStride, float *work,
                             int64_t workRowStride, float *h, int64_t hRowStride) {
    int64_t vectorEnd = hidden / 8 * 8;
    __m256 zero = _mm256_setzero_ps();
    for (int64_t b = 0; b < batch; b++) {
        const float *xr = x + b * xRowStride, *hhr = hh + b * 3 * hidden, *hp = hPrev + b * hPrevRowStride;
        float *w = work + b * workRowStride, *hr = h + b * hRowStride;
        for (int64_t j = 0; j < vectorEnd; j += 8) {
            __m256 br = bias ? _mm256_loadu_ps(bias + j) : zero;
            __m256 bz = bias ? _mm256_loadu_ps(bias + hidden + j) : zero;
            __m256 bn = bias ? _mm256_loadu_ps(bias + 2 * hidden + j) : zero;
            __m256 xr0 = _mm256_loadu_ps(xr + j), xr1 = _mm256_loadu_ps(xr + hidden + j);
            __m256 xr2 = _mm256_loadu_ps(xr + 2 * hidden + j);
            if (inputBias) {
                xr0 = _mm256_add_ps(xr0, _mm256_loadu_ps(inputBias + j));
                xr1 = _mm256_add_ps(xr1, _mm256_loadu_ps(inputBias + hidden + j));
                xr2 = _mm256_add_ps(xr2, _mm256_loadu_ps(inputBias + 2 * hidden + j));
            }
            __m256 hn = _mm256_add_ps(_mm256_loadu_ps(hhr + 2 * hidden + j), bn);
            __m256 r = sigmoid_avx2(_mm256_add_ps(xr0, _mm256_add_ps(_mm256_loadu_ps(hhr + j), br)));
            __m256 z = sigmoid_avx2(_mm256_add_ps(xr1, _mm256_add_ps(_mm256_loadu_ps(hhr + hidden + j), bz)));
            __m256 n = tanh_avx2(_mm256_fmadd_ps(r, hn, xr2));
            _mm256_storeu_ps(w + j, r);
            _mm256_storeu_ps(w + hidden + j, z);
            _mm256_storeu_ps(w + 2 * hidden + j, n);
            _mm256_storeu_ps(w + 3 * hidden + j, hn);
            _mm256_storeu_ps(hr + j, _mm256_fmadd_ps(z, _mm256_sub_ps(_mm256_loadu_ps(hp + j), n), n));
        }
    }
    if (vectorEnd < hidden) {
        gru_forward_portable(batch, hidden, x, xRowStride, inputBias, hh, bias, hPrev, hPrevRowStride, work,
                             workRowStride, h, hRowStride, vectorEnd, hidden);
    }
}

AG_TARGET_AVX2
static void gru_backward_avx2(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                              const float *hPrev, int64_t hPrevRowStride, const float *gradH, int64_t gradHRowStride,
                              float *dh, float *dx, int64_t dxRowStride, float *dhh, int64_t dhhRowStride) {
    int64_t vectorEnd = hidden / 8 * 8;
    __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t b = 0; b < batch; b++) {
        const float *w = work + b * workRowStride, *hp = hPrev + b * hPrevRowStride, *gh = gradH + b * gradHRowStride;
        float *d = dh + b * hidden, *dxr = dx + b * dxRowStride, *dhr = dhh + b * dhhRowStride;
        for (int64_t j = 0; j < vectorEnd; j += 8) {
            __m256 r = _mm256_loadu_ps(w + j), z = _mm256_loadu_ps(w + hidden + j);
            __m256 n = _mm256_loadu_ps(w + 2 * hidden + j), hn = _mm256_loadu_ps(w + 3 * hidden + j);
            __m256 g = _mm256_add_ps(_mm256_loadu_ps(gh + j), _mm256_loadu_ps(d + j));
            __m256 dnPre = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(one, z)), _mm256_fnmadd_ps(n, n, one));
            __m256 dzPre = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(_mm256_loadu_ps(hp + j), n)),
                                         _mm256_mul_ps(z, _mm256_sub_ps(one, z)));
            __m256 drPre = _mm256_mul_ps(_mm256_mul_ps(dnPre, hn), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
            _mm256_storeu_ps(dxr + j, drPre);
            _mm256_storeu_ps(dxr + hidden + j, dzPre);
            _mm256_storeu_ps(dxr + 2 * hidden + j, dnPre);
            _mm256_storeu_ps(dhr + j, drPre);
            _mm256_storeu_ps(dhr + hidden + j, dzPre);
            _mm256_storeu_ps(dhr + 2 * hidden + j, _mm256_mul_ps(dnPre, r));
            _mm256_storeu_ps(d + j, _mm256_mul_ps(g, z));
        }
    }
    if (vectorEnd < hidden) {
        gru_backward_portable(batch, hidden, work, workRowStride, hPrev, hPrevRowStride, gradH, gradHRowStride, dh,
                              dx, dxRowStride, dhh, dhhRowStride, vectorEnd, hidden);
    }
}
#endif

// MARK: Entry points

void ag_lstm_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *bias,
                          float *gates, int64_t gatesRowStride, const float *cPrev, int64_t cPrevRowStride,
                          float *c, int64_t cRowStride, float *h, int64_t hRowStride) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        lstm_forward_avx2(batch, hidden, x, xRowStride, bias, gates, gatesRowStride, cPrev, cPrevRowStride, c,
                          cRowStride, h, hRowStride);
        return;
    }
#endif
    lstm_forward_portable(batch, hidden, x, xRowStride, bias, gates, gatesRowStride, cPrev, cPrevRowStride, c,
                          cRowStride, h, hRowStride, 0, hidden);
}

void ag_lstm_backward_step(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                           const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                           const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                           float *dGates, int64_t dGatesRowStride) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        lstm_backward_avx2(batch, hidden, gates, gatesRowStride, cPrev, cPrevRowStride, c, cRowStride, gradH,
                           gradHRowStride, dhNext, dc, dGates, dGatesRowStride);
        return;
    }
#endif
    lstm_backward_portable(batch, hidden, gates, gatesRowStride, cPrev, cPrevRowStride, c, cRowStride, gradH,
                           gradHRowStride, dhNext, dc, dGates, dGatesRowStride, 0, hidden);
}

void ag_gru_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *inputBias,
                         const float *hh, const float *bias, const float *hPrev, int64_t hPrevRowStride, float *work,
                         int64_t workRowStride, float *h, int64_t hRowStride) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        gru_forward_avx2(batch, hidden, x, xRowStride, inputBias, hh, bias, hPrev, hPrevRowStride, work, workRowStride,
                         h, hRowStride);
        return;
    }
#endif
    gru_forward_portable(batch, hidden, x, xRowStride, inputBias, hh, bias, hPrev, hPrevRowStride, work, workRowStride,
                         h, hRowStride, 0, hidden);
}

void ag_gru_backward_step(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                          const float *hPrev, int64_t hPrevRowStride, const float *gradH, int64_t gradHRowStride,
                          float *dh, float *dx, int64_t dxRowStride, float *dhh, int64_t dhhRowStride) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        gru_backward_avx2(batch, hidden, work, workRowStride, hPrev, hPrevRowStride, gradH, gradHRowStride, dh, dx,
                          dxRowStride, dhh, dhhRowStride);
        return;
    }
#endif
    gru_backward_portable(batch, hidden, work, workRowStride, hPrev, hPrevRowStride, gradH, gradHRowStride, dh, dx,
                          dxRowStride, dhh, dhhRowStride, 0, hidden);
}
