#include "CAutogradKernels.h"
#include "kernels_internal.h"

// The Adam / AdamW update of a float32 parameter and its two moments in one pass. Each
// step rounds as the separate elementwise ops of the unfused update do, so contraction of
// a·b + c into one fused multiply-add is switched off. The loop is written once with the
// compiler's vector extension and compiled for the baseline target (two SSE2 or NEON
// registers per vector) and with AVX2 (one); square roots and divisions are the exactly
// rounded IEEE operations either way.

#pragma clang fp contract(off)

typedef float ag_adam_float8 __attribute__((vector_size(32), aligned(4)));

#if __has_builtin(__builtin_elementwise_sqrt)
/// The exactly rounded square root of every lane (or of a float).
#define AG_ADAM_SQRT(x) __builtin_elementwise_sqrt(x)
#define AG_ADAM_SQRT1(x) __builtin_elementwise_sqrt(x)
#else
#include <math.h>
#define AG_ADAM_SQRT(x)                                                                               \
    ({                                                                                                \
        ag_adam_float8 root_ = (x);                                                                   \
        for (int lane_ = 0; lane_ < 8; lane_++) root_[lane_] = sqrtf(root_[lane_]);                   \
        root_;                                                                                        \
    })
#define AG_ADAM_SQRT1(x) sqrtf(x)
#endif

#define AG_ADAM_STEP(T, sqrt_fn, load, store)                                                          \
    do {                                                                                              \
        T parameter = load(p + i) * parameterScale;                                                   \
        T grad = load(g + i);                                                                         \
        if (gradientDecay != 0) grad = grad + parameter * gradientDecay;                              \
        T first = load(m + i);                                                                        \
        first = first + firstMomentWeight * (grad - first);                                           \
        T second = load(v + i) * beta2;                                                               \
        second = second + secondMomentWeight * (grad * grad);                                         \
        T denominator = sqrt_fn(second) * denominatorScale + eps;                                     \
        parameter = parameter + stepScale * (first / denominator);                                    \
        store(p + i, parameter);                                                                      \
        store(m + i, first);                                                                          \
        store(v + i, second);                                                                         \
    } while (0)

#define AG_ADAM_LOAD8(q) (*(const ag_adam_float8 *)(q))
#define AG_ADAM_STORE8(q, x) (*(ag_adam_float8 *)(q) = (x))
#define AG_ADAM_LOAD1(q) (*(q))
#define AG_ADAM_STORE1(q, x) (*(q) = (x))

#define AG_ADAM_BODY(sqrt8)                                                                           \
    int64_t i = 0;                                                                                    \
    for (; i + 8 <= n; i += 8) AG_ADAM_STEP(ag_adam_float8, sqrt8, AG_ADAM_LOAD8, AG_ADAM_STORE8);    \
    for (; i < n; i++) AG_ADAM_STEP(float, AG_ADAM_SQRT1, AG_ADAM_LOAD1, AG_ADAM_STORE1);

static void adam_update_portable(int64_t n, float *p, const float *g, float *m, float *v, float parameterScale,
                                 float gradientDecay, float firstMomentWeight, float beta2, float secondMomentWeight,
                                 float denominatorScale, float eps, float stepScale) {
    AG_ADAM_BODY(AG_ADAM_SQRT)
}

#if AG_X86
AG_TARGET_AVX2
static void adam_update_avx2(int64_t n, float *p, const float *g, float *m, float *v, float parameterScale,
                             float gradientDecay, float firstMomentWeight, float beta2, float secondMomentWeight,
                             float denominatorScale, float eps, float stepScale) {
    AG_ADAM_BODY(AG_ADAM_SQRT)
}
#endif

void ag_adam_update(int64_t n, float *p, const float *g, float *m, float *v, float parameterScale,
                    float gradientDecay, float firstMomentWeight, float beta2, float secondMomentWeight,
                    float denominatorScale, float eps, float stepScale) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        adam_update_avx2(n, p, g, m, v, parameterScale, gradientDecay, firstMomentWeight, beta2, secondMomentWeight,
                         denominatorScale, eps, stepScale);
        return;
    }
#endif
    adam_update_portable(n, p, g, m, v, parameterScale, gradientDecay, firstMomentWeight, beta2, secondMomentWeight,
                         denominatorScale, eps, stepScale);
}
