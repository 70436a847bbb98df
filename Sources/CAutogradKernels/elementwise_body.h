// The float32 elementwise kernels and the softmax rows, written once with the vector
// extension clang and GCC share. elementwise.c includes this file once per kernel path,
// after defining
//
//   AG_EW_LANES    floats per vector: 4 (portable: SSE2, NEON, or scalar code elsewhere),
//                  8 (AVX2) or 16 (AVX-512, and the AVX-512 code compiled for AVX2)
//   AG_EW_TARGET   the functions' target attribute (empty for the portable path)
//   AG_EW_NAME(x)  x with the path's suffix: the names of the functions to define
//
// and gets AG_EW_NAME(unary), AG_EW_NAME(binary), AG_EW_NAME(add_scaled),
// AG_EW_NAME(erf_array), AG_EW_NAME(gelu_forward), AG_EW_NAME(gelu_backward) and
// AG_EW_NAME(softmax_rows) (see CAutogradKernels.h's ag_unary_f32, ag_binary_f32,
// ag_add_scaled_f32, ag_erf, ag_gelu_forward, ag_gelu_backward and ag_softmax_rows for what
// they compute).
// Every element, the last partial vector included, goes through the same vector code, so a
// result does not depend on where in the array its element sits; paths of equal lane count
// and instruction set (AVX2 and AVX-512-on-AVX2 apart from the tail) give the same bits.

#ifndef AG_EW_NAME
#error "define AG_EW_LANES, AG_EW_TARGET and AG_EW_NAME first"
#endif

#include "vector_math_body.h"

/// Runs `expr` (of the vector `v`) over x[0..<n] read with stride sx (1, or 0: x[0] for every
/// element), writing y[0..<n]. Two vectors per step, so the polynomials' two dependency chains
/// overlap.
#define AG_EW_MAP(expr)                                                                     \
    do {                                                                                   \
        int64_t i = 0;                                                                     \
        if (sx == 1) {                                                                     \
            for (; i + 2 * L <= n; i += 2 * L) {                                           \
                V first, second;                                                           \
                {                                                                          \
                    V v = *(const V *)(x + i);                                             \
                    first = (expr);                                                        \
                }                                                                          \
                {                                                                          \
                    V v = *(const V *)(x + i + L);                                         \
                    second = (expr);                                                       \
                }                                                                          \
                *(V *)(y + i) = first;                                                     \
                *(V *)(y + i + L) = second;                                                \
            }                                                                              \
            for (; i + L <= n; i += L) {                                                   \
                V v = *(const V *)(x + i);                                                 \
                *(V *)(y + i) = (expr);                                                    \
            }                                                                              \
            if (i < n) {                                                                   \
                V v = AG_EW_NAME(load_partial)(x + i, n - i);                              \
                AG_EW_NAME(store_partial)(y + i, (expr), n - i);                           \
            }                                                                              \
        } else {                                                                           \
            V v = AG_EW_NAME(splat)(x[0]);                                                           \
            V value = (expr);                                                              \
            for (; i + L <= n; i += L) *(V *)(y + i) = value;                              \
            if (i < n) AG_EW_NAME(store_partial)(y + i, value, n - i);                     \
        }                                                                                  \
    } while (0)

/// ag_unary_f32 on this path; sx is 0 or 1.
AG_EW_TARGET
static bool AG_EW_NAME(unary)(int32_t op, float s, int64_t n, const float *x, int64_t sx, float *y) {
    const VI signBit = (VI){0} + (int32_t)0x80000000u;
    const VI one = (VI)((V){0} + 1.0f);
    switch (op) {
    case AG_UNARY_NEGATE: AG_EW_MAP(-v); break;
    case AG_UNARY_RELU: AG_EW_MAP((V)((v > 0.0f) & (VI)v)); break;
    case AG_UNARY_ADD_SCALAR: AG_EW_MAP(v + s); break;
    case AG_UNARY_MULTIPLY_SCALAR: AG_EW_MAP(v * s); break;
    case AG_UNARY_REVERSE_SUBTRACT_SCALAR: AG_EW_MAP(s - v); break;
    case AG_UNARY_REVERSE_DIVIDE_SCALAR: AG_EW_MAP(s / v); break;
    case AG_UNARY_SQUARE: AG_EW_MAP(v * v); break;
    case AG_UNARY_RECIPROCAL: AG_EW_MAP(1.0f / v); break;
    case AG_UNARY_IS_POSITIVE: AG_EW_MAP((V)((v > 0.0f) & one)); break;
    case AG_UNARY_ABS: AG_EW_MAP((V)(~signBit & (VI)v)); break;
    case AG_UNARY_EXP: AG_EW_MAP(AG_EW_NAME(exp)(v)); break;
    case AG_UNARY_SIGMOID: AG_EW_MAP(AG_EW_NAME(sigmoid)(v)); break;
    case AG_UNARY_TANH: AG_EW_MAP(AG_EW_NAME(tanh)(v)); break;
    default: return false;
    }
    return true;
}
#undef AG_EW_MAP

/// Runs `expr` (of the vectors `va` and `vb`) over a[0..<n] and b[0..<n] read with strides
/// sa and sb (1, or 0: the first element for every one), writing y[0..<n].
#define AG_EW_ZIP_LOOP(LOAD_A, LOAD_B, PARTIAL_A, PARTIAL_B, expr)                          \
    do {                                                                                   \
        int64_t i = 0;                                                                     \
        for (; i + L <= n; i += L) {                                                       \
            V va = LOAD_A, vb = LOAD_B;                                                    \
            *(V *)(y + i) = (expr);                                                        \
        }                                                                                  \
        if (i < n) {                                                                       \
            V va = PARTIAL_A, vb = PARTIAL_B;                                              \
            AG_EW_NAME(store_partial)(y + i, (expr), n - i);                               \
        }                                                                                  \
    } while (0)
#define AG_EW_ZIP(expr)                                                                     \
    do {                                                                                   \
        if (sa == 1 && sb == 1) {                                                          \
            AG_EW_ZIP_LOOP(*(const V *)(a + i), *(const V *)(b + i),                       \
                           AG_EW_NAME(load_partial)(a + i, n - i),                         \
                           AG_EW_NAME(load_partial)(b + i, n - i), expr);                  \
        } else if (sa == 1) {                                                              \
            const V splat = AG_EW_NAME(splat)(b[0]);                                                 \
            AG_EW_ZIP_LOOP(*(const V *)(a + i), splat,                                     \
                           AG_EW_NAME(load_partial)(a + i, n - i), splat, expr);           \
        } else if (sb == 1) {                                                              \
            const V splat = AG_EW_NAME(splat)(a[0]);                                                 \
            AG_EW_ZIP_LOOP(splat, *(const V *)(b + i), splat,                              \
                           AG_EW_NAME(load_partial)(b + i, n - i), expr);                  \
        } else {                                                                           \
            const V splatA = AG_EW_NAME(splat)(a[0]), splatB = AG_EW_NAME(splat)(b[0]);                        \
            AG_EW_ZIP_LOOP(splatA, splatB, splatA, splatB, expr);                          \
        }                                                                                  \
    } while (0)

/// ag_binary_f32 on this path; sa and sb are 0 or 1.
AG_EW_TARGET
static bool AG_EW_NAME(binary)(int32_t op, int64_t n, const float *a, int64_t sa, const float *b, int64_t sb,
                               float *y) {
    switch (op) {
    case AG_BINARY_ADD: AG_EW_ZIP(va + vb); break;
    case AG_BINARY_SUBTRACT: AG_EW_ZIP(va - vb); break;
    case AG_BINARY_MULTIPLY: AG_EW_ZIP(va * vb); break;
    case AG_BINARY_DIVIDE: AG_EW_ZIP(va / vb); break;
    default: return false;
    }
    return true;
}
#undef AG_EW_ZIP
#undef AG_EW_ZIP_LOOP

/// ag_add_scaled_f32 on this path: y[i] += scale * x[i], the product rounded before the sum.
AG_EW_TARGET
static void AG_EW_NAME(add_scaled)(int64_t n, float scale, const float *x, float *y) {
#pragma clang fp contract(off)
    int64_t i = 0;
    for (; i + L <= n; i += L) *(V *)(y + i) = *(const V *)(y + i) + scale * *(const V *)(x + i);
    if (i < n) {
        V sum = AG_EW_NAME(load_partial)(y + i, n - i) + scale * AG_EW_NAME(load_partial)(x + i, n - i);
        AG_EW_NAME(store_partial)(y + i, sum, n - i);
    }
}

/// ag_erf on this path.
AG_EW_TARGET
static void AG_EW_NAME(erf_array)(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + L <= n; i += L) *(V *)(y + i) = AG_EW_NAME(erf)(*(const V *)(x + i));
    if (i < n) AG_EW_NAME(store_partial)(y + i, AG_EW_NAME(erf)(AG_EW_NAME(load_partial)(x + i, n - i)), n - i);
}

/// ag_gelu_forward on this path: y = x·Φ(x).
AG_EW_TARGET
static void AG_EW_NAME(gelu_forward)(int64_t n, const float *x, float *y) {
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        V v = *(const V *)(x + i);
        *(V *)(y + i) = v * AG_EW_NAME(gelu_cdf)(v);
    }
    if (i < n) {
        V v = AG_EW_NAME(load_partial)(x + i, n - i);
        AG_EW_NAME(store_partial)(y + i, v * AG_EW_NAME(gelu_cdf)(v), n - i);
    }
}

/// ag_gelu_backward on this path: dx = grad·(Φ(x) + x·φ(x)).
AG_EW_TARGET
static void AG_EW_NAME(gelu_backward)(int64_t n, const float *x, const float *grad, float *dx) {
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        *(V *)(dx + i) = *(const V *)(grad + i) * AG_EW_NAME(gelu_slope)(*(const V *)(x + i));
    }
    if (i < n) {
        V v = AG_EW_NAME(load_partial)(x + i, n - i), g = AG_EW_NAME(load_partial)(grad + i, n - i);
        AG_EW_NAME(store_partial)(dx + i, g * AG_EW_NAME(gelu_slope)(v), n - i);
    }
}

/// ag_softmax_rows on this path for rows [first, last).
AG_EW_TARGET
static void AG_EW_NAME(softmax_rows)(int64_t first, int64_t last, int64_t length, const float *x, float *y,
                                     bool logarithm) {
    for (int64_t row = first; row < last; row++) {
        const float *in = x + row * length;
        float *out = y + row * length;
        // The row's maximum (NaN never wins; a NaN reaches every output through its exp).
        V best = (V){0} + -__builtin_inff();
        int64_t i = 0;
        for (; i + L <= length; i += L) {
            V v = *(const V *)(in + i);
            best = AG_EW_NAME(select)(v > best, v, best);
        }
        float maximum = -__builtin_inff();
        for (int j = 0; j < L; j++) maximum = best[j] > maximum ? best[j] : maximum;
        for (; i < length; i++) maximum = in[i] > maximum ? in[i] : maximum;
        if (maximum == -__builtin_inff()) maximum = 0;
        // Σ e^(x - max), storing the exponentials unless the logarithm is wanted.
        V sums = {0};
        float tail = 0;
        i = 0;
        for (; i + L <= length; i += L) {
            V e = AG_EW_NAME(exp)(*(const V *)(in + i) - maximum);
            if (!logarithm) *(V *)(out + i) = e;
            sums += e;
        }
        if (i < length) {
            V e = AG_EW_NAME(exp)(AG_EW_NAME(load_partial)(in + i, length - i) - maximum);
            if (!logarithm) AG_EW_NAME(store_partial)(out + i, e, length - i);
            for (int64_t j = 0; j < length - i; j++) tail += e[j];
        }
        float total = 0;
        for (int j = 0; j < L; j++) total += sums[j];
        total += tail;
        if (logarithm) {
            float logTotal = logf(total);
            i = 0;
            for (; i + L <= length; i += L) *(V *)(out + i) = (*(const V *)(in + i) - maximum) - logTotal;
            for (; i < length; i++) out[i] = (in[i] - maximum) - logTotal;
        } else {
            i = 0;
            for (; i + L <= length; i += L) *(V *)(out + i) = *(const V *)(out + i) / total;
            for (; i < length; i++) out[i] /= total;
        }
    }
}

#include "vector_math_end.h"
