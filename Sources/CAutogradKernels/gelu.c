#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <string.h>

#include "exp_constants.h"

// The exact GELU in single precision, forward and backward, and the erf and exp it is built
// from, evaluated with polynomials instead of the C library so that many lanes run at once
// (eight with AVX2, sixteen with AVX-512: gelu_body.h; the portable loops are branch-free,
// so the compiler may vectorise them for SSE2 or NEON).
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

// MARK: SIMD paths

// gelu_body.h once per SIMD path: 8 lanes on AVX2, 16 on AVX-512 and the same 16-lane code
// compiled for AVX2 (AG_KERNEL_PATH_AVX512_ON_AVX2). Each runs the whole vectors of an
// array; the scalar code above does the rest. The portable path has no vector variant.

static int64_t gelu_vectors_forward_portable(int64_t n, const float *x, float *y) {
    (void)n, (void)x, (void)y;
    return 0;
}

static int64_t gelu_vectors_backward_portable(int64_t n, const float *x, const float *grad, float *dx) {
    (void)n, (void)x, (void)grad, (void)dx;
    return 0;
}

static int64_t gelu_vectors_erf_portable(int64_t n, const float *x, float *y) {
    (void)n, (void)x, (void)y;
    return 0;
}

#if AG_X86
#define AG_GELU_LANES 8
#define AG_GELU_TARGET AG_TARGET_AVX2
#define AG_GELU_NAME(x) gelu_vectors_##x##_avx2
#include "gelu_body.h"

#define AG_GELU_LANES 16
#define AG_GELU_TARGET AG_TARGET_AVX512
#define AG_GELU_NAME(x) gelu_vectors_##x##_avx512
#include "gelu_body.h"

// The 16-lane vectors pass between always-inlined helpers, never across a real call, so
// the ABI clang warns about for 64-byte vectors without AVX-512 never comes into play.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#define AG_GELU_LANES 16
#define AG_GELU_TARGET AG_TARGET_AVX2
#define AG_GELU_NAME(x) gelu_vectors_##x##_avx512_on_avx2
#include "gelu_body.h"
#pragma clang diagnostic pop
#endif

// MARK: Entry points

void ag_gelu_forward(int64_t n, const float *x, float *y) {
    int32_t path = ag_kernel_path_get();
    int64_t done = AG_ON_KERNEL_PATH(path, gelu_vectors_forward, (n, x, y));
    gelu_forward_portable(n - done, x + done, y + done);
}

void ag_gelu_backward(int64_t n, const float *x, const float *grad, float *dx) {
    int32_t path = ag_kernel_path_get();
    int64_t done = AG_ON_KERNEL_PATH(path, gelu_vectors_backward, (n, x, grad, dx));
    gelu_backward_portable(n - done, x + done, grad + done, dx + done);
}

void ag_erf(int64_t n, const float *x, float *y) {
    int32_t path = ag_kernel_path_get();
    int64_t done = AG_ON_KERNEL_PATH(path, gelu_vectors_erf, (n, x, y));
    for (int64_t i = done; i < n; i++) y[i] = erf_portable(x[i]);
}

void ag_exp(int64_t n, const float *x, float *y) {
    // The elementwise kernels' exp: the same polynomial, as wide as the kernel path runs.
    ag_unary_f32(AG_UNARY_EXP, 0, n, x, 1, y);
}
