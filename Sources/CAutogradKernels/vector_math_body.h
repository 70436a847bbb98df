// The vector types and math of the float32 kernels written once over a lane count:
// select, splat, partial loads and stores, exp, sigmoid, tanh, erf and GELU's CDF and slope.
// A kernel body (elementwise_body.h, recurrent_body.h) includes it after defining (for
// each path in turn, by vector_math_paths.h)
//
//   AG_EW_LANES    floats per vector: 4 (portable: SSE2, NEON, or scalar code elsewhere),
//                  8 (AVX2) or 16 (AVX-512, and the AVX-512 code compiled for AVX2)
//   AG_EW_TARGET   the functions' target attribute (empty for the portable path)
//   AG_EW_NAME(x)  x with the path's suffix
//
// and gets the types V (AG_EW_LANES floats) and VI (as many 32-bit integers), L (the lane
// count) and the AG_EW_NAME(...) helpers below; the body ends by including
// vector_math_end.h, which undefines V, VI, L and the three settings. The including file
// includes exp_constants.h and erf_constants.h first.

#ifndef AG_EW_NAME
#error "define AG_EW_LANES, AG_EW_TARGET and AG_EW_NAME first"
#endif

/// AG_EW_LANES floats, loaded and stored unaligned; may alias any float.
typedef float AG_EW_NAME(ag_vfloat) __attribute__((vector_size(4 * AG_EW_LANES), aligned(4), may_alias));
/// AG_EW_LANES 32-bit integers (comparison masks, exponent bits).
typedef int32_t AG_EW_NAME(ag_vint) __attribute__((vector_size(4 * AG_EW_LANES), aligned(4), may_alias));

#define V AG_EW_NAME(ag_vfloat)
#define VI AG_EW_NAME(ag_vint)
#define L AG_EW_LANES

/// The lanes of `a` where `mask` is all ones, those of `b` elsewhere.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(select)(VI mask, V a, V b) {
    return (V)((mask & (VI)a) | (~mask & (VI)b));
}

/// Whether every lane of `mask` (lanes all ones or all zeros) is all ones.
AG_EW_TARGET
static inline __attribute__((always_inline)) bool AG_EW_NAME(all)(VI mask) {
    int32_t every = -1;
    for (int j = 0; j < L; j++) every &= mask[j];
    return every != 0;
}

/// `s` in every lane (unlike (V){0} + s, which turns -0 into +0).
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(splat)(float s) {
    V v;
    for (int j = 0; j < L; j++) v[j] = s;
    return v;
}

/// The first `count` (< L) floats of `p`, the other lanes 0.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(load_partial)(const float *p, int64_t count) {
    V v = {0};
    for (int64_t j = 0; j < count; j++) v[j] = p[j];
    return v;
}

/// Stores the first `count` (< L) lanes of `v` to `p`.
AG_EW_TARGET
static inline __attribute__((always_inline)) void AG_EW_NAME(store_partial)(float *p, V v, int64_t count) {
    for (int64_t j = 0; j < count; j++) p[j] = v[j];
}

/// e^x (constants and method in exp_constants.h): within 2 ulp,
/// +inf above ln(FLT_MAX), subnormal results near the bottom, 0 below ln(2^-150), NaN for NaN.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(exp)(V x) {
    V clamped = AG_EW_NAME(select)(x < AG_EXP_CLAMP_LOW, (V){0} + AG_EXP_CLAMP_LOW, x);
    clamped = AG_EW_NAME(select)(clamped > AG_EXP_CLAMP_HIGH, (V){0} + AG_EXP_CLAMP_HIGH, clamped);
    // Round to nearest by adding 1.5·2^23: the integer lands in the low mantissa bits.
    const float shifter = 12582912.0f;
    V shifted = clamped * AG_EXP_LOG2E + shifter;
    VI n = (VI)shifted - (VI)((V){0} + shifter);
    V nf = shifted - shifter;
    V r = clamped - nf * AG_EXP_LN2_HI;
    r = r - nf * AG_EXP_LN2_LO;
    V p = (V){0} + AG_EXP_P4;
    p = p * r + AG_EXP_P3;
    p = p * r + AG_EXP_P2;
    p = p * r + AG_EXP_P1;
    p = p * r + AG_EXP_P0;
    p = p * (r * r) + (r + 1.0f);
    VI half = n >> 1;
    V scale1 = (V)((half + 127) << 23);
    V scale2 = (V)((n - half + 127) << 23);
    V result = p * scale1 * scale2;
    result = AG_EW_NAME(select)(x < AG_EXP_ZERO_BELOW, (V){0}, result);
    return AG_EW_NAME(select)(x != x, x + x, result);
}

/// 1 / (1 + e^-x).
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(sigmoid)(V x) {
    return 1.0f / (1.0f + AG_EW_NAME(exp)(-x));
}

/// tanh x (Cephes' tanhf): below |x| = 0.625 an odd polynomial, |x| + |x|³·P(x²); above,
/// 1 - 2 / (e^2|x| + 1); then the sign of x (so tanh(-0) = -0, tanh(±inf) = ±1, NaN for NaN).
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(tanh)(V x) {
    const VI signBit = (VI){0} + (int32_t)0x80000000u;
    V magnitude = (V)(~signBit & (VI)x);
    V z = x * x;
    V p = (V){0} + -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z + -5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z + -3.33332819422e-1f;
    V small = magnitude + magnitude * (p * z);
    V large = 1.0f - 2.0f / (AG_EW_NAME(exp)(magnitude + magnitude) + 1.0f);
    V result = AG_EW_NAME(select)(magnitude < 0.625f, small, large);
    return (V)((VI)result | (signBit & (VI)x));
}

/// erf x (erf_constants.h): x + x·Q(x²) below |x| = 0.921875, else 1 - e^R(|x|) with the
/// sign of x; NaN for NaN.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(erf)(V x) {
    const VI signBit = (VI){0} + (int32_t)0x80000000u;
    V t = (V)(~signBit & (VI)x);
    V s = x * x;
    V q = (V){0} + AG_ERF_Q5;
    q = q * s + AG_ERF_Q4;
    q = q * s + AG_ERF_Q3;
    q = q * s + AG_ERF_Q2;
    q = q * s + AG_ERF_Q1;
    q = q * s + AG_ERF_Q0;
    V small = x * q + x;
    // A NaN fails the comparison and runs through R and the exponential to the result.
    VI useSmall = t < AG_ERF_SPLIT;
    if (AG_EW_NAME(all)(useSmall)) return small;
    V tc = AG_EW_NAME(select)(t > AG_ERF_CLAMP, (V){0} + AG_ERF_CLAMP, t);
    V r = (V){0} + AG_ERF_R6;
    r = r * tc + AG_ERF_R5;
    r = r * tc + AG_ERF_R4;
    r = r * tc + AG_ERF_R3;
    r = r * tc + AG_ERF_R2;
    r = r * tc + AG_ERF_R1;
    r = r * tc + AG_ERF_R0;
    V large = 1.0f - AG_EW_NAME(exp)(r);
    large = (V)((VI)large | (signBit & (VI)x));
    return AG_EW_NAME(select)(useSmall, small, large);
}

/// Φ(x) = (1 + erf(x/√2)) / 2, the standard normal CDF.
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(gelu_cdf)(V x) {
    return 0.5f * (1.0f + AG_EW_NAME(erf)(x * AG_GELU_INVERSE_ROOT2));
}

/// d gelu(x)/dx = Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π).
AG_EW_TARGET
static inline __attribute__((always_inline)) V AG_EW_NAME(gelu_slope)(V x) {
    return AG_EW_NAME(gelu_cdf)(x) + x * AG_GELU_NORMAL_DENSITY * AG_EW_NAME(exp)(-0.5f * x * x);
}
