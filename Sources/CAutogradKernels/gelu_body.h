// The SIMD GELU kernels (forward, backward, erf), written once with the vector extension
// clang and GCC share. gelu.c includes this file once per SIMD kernel path, after defining
//
//   AG_GELU_LANES    floats per vector: 8 (AVX2) or 16 (AVX-512, and the AVX-512 code
//                    compiled for AVX2)
//   AG_GELU_TARGET   the functions' target attribute
//   AG_GELU_NAME(x)  x with the path's suffix: the names of the functions to define
//
// and gets AG_GELU_NAME(forward), AG_GELU_NAME(backward) and AG_GELU_NAME(erf),
// which run whole vectors and leave the last partial one to gelu.c's scalar code. The
// polynomials and their constants are gelu.c's (see there); the exp is elementwise_body.h's.

#ifndef AG_GELU_NAME
#error "define AG_GELU_LANES, AG_GELU_TARGET and AG_GELU_NAME first"
#endif

/// AG_GELU_LANES floats, loaded and stored unaligned; may alias any float.
typedef float AG_GELU_NAME(vfloat) __attribute__((vector_size(4 * AG_GELU_LANES), aligned(4), may_alias));
/// AG_GELU_LANES 32-bit integers (comparison masks, exponent bits).
typedef int32_t AG_GELU_NAME(vint) __attribute__((vector_size(4 * AG_GELU_LANES), aligned(4), may_alias));

#define V AG_GELU_NAME(vfloat)
#define VI AG_GELU_NAME(vint)
#define L AG_GELU_LANES
#define INLINE AG_GELU_TARGET static inline __attribute__((always_inline))

/// The lanes of `a` where `mask` is all ones, those of `b` elsewhere.
INLINE V AG_GELU_NAME(select)(VI mask, V a, V b) {
    return (V)((mask & (VI)a) | (~mask & (VI)b));
}

/// e^r·2^-n for x = n·ln 2 + r (n = x/ln 2 rounded to the nearest integer, |x| < 2^21):
/// the range reduction and the polynomial both exp variants below share; n is stored in `*n`.
INLINE V AG_GELU_NAME(exp_reduced)(V x, VI *n) {
    // Round to nearest by adding 1.5·2^23: the integer lands in the low mantissa bits.
    const float shifter = 12582912.0f;
    V shifted = x * AG_EXP_LOG2E + shifter;
    *n = (VI)shifted - (VI)((V){0} + shifter);
    V nf = shifted - shifter;
    V r = x - nf * AG_EXP_LN2_HI;
    r = r - nf * AG_EXP_LN2_LO;
    V p = (V){0} + AG_EXP_P4;
    p = p * r + AG_EXP_P3;
    p = p * r + AG_EXP_P2;
    p = p * r + AG_EXP_P1;
    p = p * r + AG_EXP_P0;
    return p * (r * r) + (r + 1.0f);
}

/// e^x for arguments the caller keeps within [-87, 0] (erf's R(|x|) lies in [-17, -0.7]) or
/// NaN: without the clamping, special cases and second scaling that such arguments never
/// need (2^n is a normal float).
INLINE V AG_GELU_NAME(exp_bounded)(V x) {
    VI n;
    V p = AG_GELU_NAME(exp_reduced)(x, &n);
    return p * (V)((n + 127) << 23);
}

/// e^x for x ≤ 0 or NaN: clamped below at -104 (NaN runs through) and scaled by 2^n in two
/// halves, so subnormal results come out right and the bottom of the range gives 0.
INLINE V AG_GELU_NAME(exp_nonpositive)(V x) {
    V clamped = AG_GELU_NAME(select)(x < AG_EXP_CLAMP_LOW, (V){0} + AG_EXP_CLAMP_LOW, x);
    VI n;
    V p = AG_GELU_NAME(exp_reduced)(clamped, &n);
    VI half = n >> 1;
    return p * (V)((half + 127) << 23) * (V)((n - half + 127) << 23);
}

/// erf(x): x + x·Q(x²) below |x| = 0.921875, else 1 - exp(R(|x|)) with the sign of x.
INLINE V AG_GELU_NAME(erf_vector)(V x) {
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
    V tc = AG_GELU_NAME(select)(t > AG_ERF_CLAMP, (V){0} + AG_ERF_CLAMP, t);
    V r = (V){0} + AG_ERF_R6;
    r = r * tc + AG_ERF_R5;
    r = r * tc + AG_ERF_R4;
    r = r * tc + AG_ERF_R3;
    r = r * tc + AG_ERF_R2;
    r = r * tc + AG_ERF_R1;
    r = r * tc + AG_ERF_R0;
    V large = 1.0f - AG_GELU_NAME(exp_bounded)(r);
    large = (V)((VI)large | (signBit & (VI)x));
    return AG_GELU_NAME(select)(t < AG_ERF_SPLIT, small, large);
}

/// Φ(x) = (1 + erf(x/√2)) / 2.
INLINE V AG_GELU_NAME(cdf)(V x) {
    return 0.5f * (1.0f + AG_GELU_NAME(erf_vector)(x * AG_GELU_INVERSE_ROOT2));
}

/// y = x·Φ(x) for the whole vectors of x[0..<n]; returns how many elements it wrote.
AG_GELU_TARGET
static int64_t AG_GELU_NAME(forward)(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        V v = *(const V *)(x + i);
        *(V *)(y + i) = v * AG_GELU_NAME(cdf)(v);
    }
    return i;
}

/// dx = grad·(Φ(x) + x·φ(x)) for the whole vectors of x[0..<n]; returns how many elements
/// it wrote.
AG_GELU_TARGET
static int64_t AG_GELU_NAME(backward)(int64_t n, const float *x, const float *grad, float *dx) {
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        V v = *(const V *)(x + i);
        V density = v * AG_GELU_NORMAL_DENSITY * AG_GELU_NAME(exp_nonpositive)(-0.5f * v * v);
        *(V *)(dx + i) = *(const V *)(grad + i) * (AG_GELU_NAME(cdf)(v) + density);
    }
    return i;
}

/// erf of the whole vectors of x[0..<n]; returns how many elements it wrote.
AG_GELU_TARGET
static int64_t AG_GELU_NAME(erf)(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + L <= n; i += L) *(V *)(y + i) = AG_GELU_NAME(erf_vector)(*(const V *)(x + i));
    return i;
}

#undef V
#undef VI
#undef L
#undef INLINE
#undef AG_GELU_LANES
#undef AG_GELU_TARGET
#undef AG_GELU_NAME
