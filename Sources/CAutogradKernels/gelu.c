#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <string.h>

#include "exp_constants.h"

#if AG_X86
#include <immintrin.h>
#endif

// The exact GELU in single precision, forward and backward, and the erf and exp it is built
// from, evaluated with polynomials instead of the C library so that many lanes run at once
// (eight with AVX2; the portable loops are branch-free, so the compiler may vectorise them
// for SSE2 or NEON).
//
// exp(x): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite: ln 2 split in a 9-bit head and a
// tail, so n·head is exact), e^r = 1 + r + r²·P(r) with P of degree 4, and the result scaled
// by 2^n in two halves so that subnormal results and the overflow to +inf come out right.
// Below ln(2^-150) the result is 0.
//
// erf(x): below |x| = 0.921875, erf(x) = x + x·Q(x²) with Q of degree 5; above, erf(|x|) =
// 1 - exp(R(|x|)), R of degree 6 approximating ln erfc(|x|) up to |x| = 3.92 (where erf
// rounds to 1 in single precision), with the sign of x. The coefficients are weighted
// minimax fits (relative error of erf: 1.7e-8 and 1.5e-9 before rounding), made for this
// file; Scripts/fixtures/fit_gelu_polynomials.py reproduces them. Measured over every float,
// erf and exp stay within 2 ulp of the correctly rounded values.

// MARK: Constants

#define AG_ERF_SPLIT 0.921875f
#define AG_ERF_CLAMP 3.92f
#define AG_ERF_Q0 1.283791661e-01f
#define AG_ERF_Q1 -3.761253655e-01f
#define AG_ERF_Q2 1.128210202e-01f
#define AG_ERF_Q3 -2.677431889e-02f
#define AG_ERF_Q4 5.002233200e-03f
#define AG_ERF_Q5 -6.029512733e-04f
#define AG_ERF_R0 -1.985202689e-04f
#define AG_ERF_R1 -1.127663851e+00f
#define AG_ERF_R2 -6.372020245e-01f
#define AG_ERF_R3 -1.039142832e-01f
#define AG_ERF_R4 2.221858315e-02f
#define AG_ERF_R5 -3.041128628e-03f
#define AG_ERF_R6 1.957245695e-04f

#define AG_GELU_INVERSE_ROOT2 7.071067691e-01f
#define AG_GELU_NORMAL_DENSITY 3.989422917e-01f

// MARK: Portable

static inline float float_from_bits(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline uint32_t bits_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline float exp_portable(float x) {
    float clamped = x < AG_EXP_CLAMP_LOW ? AG_EXP_CLAMP_LOW : (x > AG_EXP_CLAMP_HIGH ? AG_EXP_CLAMP_HIGH : x);
    // Round to nearest by adding 1.5·2^23: the integer lands in the low mantissa bits.
    const float shifter = 12582912.0f;
    float shifted = clamped * AG_EXP_LOG2E + shifter;
    int32_t n = (int32_t)(bits_from_float(shifted) - bits_from_float(shifter));
    float nf = shifted - shifter;
    float r = clamped - nf * AG_EXP_LN2_HI;
    r = r - nf * AG_EXP_LN2_LO;
    float p = AG_EXP_P4;
    p = p * r + AG_EXP_P3;
    p = p * r + AG_EXP_P2;
    p = p * r + AG_EXP_P1;
    p = p * r + AG_EXP_P0;
    p = p * (r * r) + (r + 1.0f);
    int32_t half = n >> 1;
    float scale1 = float_from_bits((uint32_t)(half + 127) << 23);
    float scale2 = float_from_bits((uint32_t)(n - half + 127) << 23);
    float result = p * scale1 * scale2;
    result = x < AG_EXP_ZERO_BELOW ? 0.0f : result;
    return x != x ? x + x : result;
}

static inline float erf_portable(float x) {
    float t = x < 0 ? -x : x;
    float s = x * x;
    float q = AG_ERF_Q5;
    q = q * s + AG_ERF_Q4;
    q = q * s + AG_ERF_Q3;
    q = q * s + AG_ERF_Q2;
    q = q * s + AG_ERF_Q1;
    q = q * s + AG_ERF_Q0;
    float small = x * q + x;
    float tc = t < AG_ERF_CLAMP ? t : AG_ERF_CLAMP;
    float r = AG_ERF_R6;
    r = r * tc + AG_ERF_R5;
    r = r * tc + AG_ERF_R4;
    r = r * tc + AG_ERF_R3;
    r = r * tc + AG_ERF_R2;
    r = r * tc + AG_ERF_R1;
    r = r * tc + AG_ERF_R0;
    float large = 1.0f - exp_portable(r);
    large = float_from_bits(bits_from_float(large) | (bits_from_float(x) & 0x80000000u));
    float result = t < AG_ERF_SPLIT ? small : large;
    return x != x ? x + x : result;
}

static inline float gelu_cdf_portable(float x) { return 0.5f * (1.0f + erf_portable(x * AG_GELU_INVERSE_ROOT2)); }

static void gelu_forward_portable(int64_t n, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * gelu_cdf_portable(x[i]);
}

static void gelu_backward_portable(int64_t n, const float *x, const float *grad, float *dx) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        float density = v * AG_GELU_NORMAL_DENSITY * exp_portable(-0.5f * v * v);
        dx[i] = grad[i] * (gelu_cdf_portable(v) + density);
    }
}

// MARK: AVX2

#if AG_X86
/// e^r·2^-n for x = n·ln 2 + r (n = x/ln 2 rounded to the nearest integer): the range
/// reduction and the polynomial every exp variant below shares; n is stored in `*n`.
AG_TARGET_AVX2
static inline __m256 exp_reduced_avx2(__m256 x, __m256i *n) {
    __m256 nf = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(AG_EXP_LOG2E)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(AG_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(AG_EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(AG_EXP_P4);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(AG_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(AG_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(AG_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(AG_EXP_P0));
    *n = _mm256_cvtps_epi32(nf);
    return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
}

/// p·2^n, scaled in two halves so that subnormal results and the overflow to +inf come out right.
AG_TARGET_AVX2
static inline __m256 scale_by_power_of_two_avx2(__m256 p, __m256i n) {
    __m256i half = _mm256_srai_epi32(n, 1);
    __m256i bias = _mm256_set1_epi32(127);
    __m256 scale1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    __m256 scale2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(n, half), bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, scale1), scale2);
}

/// e^x for arguments the caller keeps within [-87, 0] (erf's R(|x|) lies in [-17, -0.7]) or
/// NaN: the full exp (ag_exp) without its clamping, its special cases and its second
/// scaling, which such arguments never need (2^n is a normal float), so it gives the same
/// bits there.
AG_TARGET_AVX2
static inline __m256 exp_bounded_avx2(__m256 x) {
    __m256i n;
    __m256 p = exp_reduced_avx2(x, &n);
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(p, scale);
}

/// e^x for x ≤ 0 or NaN: the full exp (ag_exp) without the clamp from above, the explicit
/// zero below ln(2^-150) (the clamp at -104 and the two-step scaling already give 0 there)
/// and the NaN blend (a NaN runs through), so it gives the same bits on that domain.
AG_TARGET_AVX2
static inline __m256 exp_nonpositive_avx2(__m256 x) {
    __m256i n;
    __m256 p = exp_reduced_avx2(_mm256_max_ps(_mm256_set1_ps(AG_EXP_CLAMP_LOW), x), &n);
    return scale_by_power_of_two_avx2(p, n);
}

AG_TARGET_AVX2
static inline __m256 erf_avx2(__m256 x) {
    __m256 signBit = _mm256_set1_ps(-0.0f);
    __m256 t = _mm256_andnot_ps(signBit, x);
    __m256 s = _mm256_mul_ps(x, x);
    __m256 q = _mm256_set1_ps(AG_ERF_Q5);
    q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(AG_ERF_Q4));
    q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(AG_ERF_Q3));
    q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(AG_ERF_Q2));
    q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(AG_ERF_Q1));
    q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(AG_ERF_Q0));
    __m256 small = _mm256_fmadd_ps(x, q, x);
    // min returns its second operand when either is NaN, so a NaN runs through R and the
    // exponential to the result.
    __m256 tc = _mm256_min_ps(_mm256_set1_ps(AG_ERF_CLAMP), t);
    __m256 r = _mm256_set1_ps(AG_ERF_R6);
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R5));
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R4));
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R3));
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R2));
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R1));
    r = _mm256_fmadd_ps(r, tc, _mm256_set1_ps(AG_ERF_R0));
    __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.0f), exp_bounded_avx2(r));
    large = _mm256_or_ps(large, _mm256_and_ps(signBit, x));
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(t, _mm256_set1_ps(AG_ERF_SPLIT), _CMP_LT_OQ));
}

AG_TARGET_AVX2
static inline __m256 gelu_cdf_avx2(__m256 x) {
    __m256 e = erf_avx2(_mm256_mul_ps(x, _mm256_set1_ps(AG_GELU_INVERSE_ROOT2)));
    return _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

AG_TARGET_AVX2
static void gelu_forward_avx2(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, gelu_cdf_avx2(v)));
    }
    if (i < n) gelu_forward_portable(n - i, x + i, y + i);
}

AG_TARGET_AVX2
static void gelu_backward_avx2(int64_t n, const float *x, const float *grad, float *dx) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = exp_nonpositive_avx2(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(-0.5f), v), v));
        __m256 density = _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(AG_GELU_NORMAL_DENSITY)), e);
        __m256 slope = _mm256_add_ps(gelu_cdf_avx2(v), density);
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(grad + i), slope));
    }
    if (i < n) gelu_backward_portable(n - i, x + i, grad + i, dx + i);
}

AG_TARGET_AVX2
static void erf_avx2_array(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, erf_avx2(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = erf_portable(x[i]);
}

#endif

// MARK: Entry points

void ag_gelu_forward(int64_t n, const float *x, float *y) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        gelu_forward_avx2(n, x, y);
        return;
    }
#endif
    gelu_forward_portable(n, x, y);
}

void ag_gelu_backward(int64_t n, const float *x, const float *grad, float *dx) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        gelu_backward_avx2(n, x, grad, dx);
        return;
    }
#endif
    gelu_backward_portable(n, x, grad, dx);
}

void ag_erf(int64_t n, const float *x, float *y) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        erf_avx2_array(n, x, y);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = erf_portable(x[i]);
}

void ag_exp(int64_t n, const float *x, float *y) {
    // The elementwise kernels' exp: the same polynomial, as wide as the kernel path runs.
    ag_unary_f32(AG_UNARY_EXP, 0, n, x, 1, y);
}
