#include "CAutogradKernels.h"
#include "kernels_internal.h"

// The SGD step with momentum of a float32 parameter and its momentum buffer in one pass:
// three streams read and two written, where the separate in-place ops (scale the buffer,
// add the gradient, add the buffer to the parameter) read five and write three. Each step
// rounds as those ops do, so contraction of a·b + c into a fused multiply-add is switched
// off. Written once with the compiler's vector extension and compiled for the baseline
// target and with AVX2, as adam.c.

#pragma clang fp contract(off)

typedef float ag_sgd_float8 __attribute__((vector_size(32), aligned(4)));

#define AG_SGD_STEP(T, load, store)                                                                  \
    do {                                                                                             \
        T parameter = load(p + i);                                                                   \
        T grad = load(g + i);                                                                        \
        if (gradientDecay != 0) grad = grad + parameter * gradientDecay;                             \
        T buffer = load(b + i) * momentum;                                                           \
        buffer = buffer + gradientWeight * grad;                                                     \
        T direction = nesterov ? grad + buffer * momentum : buffer;                                  \
        store(p + i, parameter + stepScale * direction);                                             \
        store(b + i, buffer);                                                                        \
    } while (0)

#define AG_SGD_LOAD8(q) (*(const ag_sgd_float8 *)(q))
#define AG_SGD_STORE8(q, x) (*(ag_sgd_float8 *)(q) = (x))
#define AG_SGD_LOAD1(q) (*(q))
#define AG_SGD_STORE1(q, x) (*(q) = (x))

#define AG_SGD_BODY                                                                                  \
    int64_t i = 0;                                                                                   \
    for (; i + 8 <= n; i += 8) AG_SGD_STEP(ag_sgd_float8, AG_SGD_LOAD8, AG_SGD_STORE8);              \
    for (; i < n; i++) AG_SGD_STEP(float, AG_SGD_LOAD1, AG_SGD_STORE1);

static void sgd_momentum_update_portable(int64_t n, float *p, const float *g, float *b, float gradientDecay,
                                         float momentum, float gradientWeight, float stepScale, bool nesterov) {
    AG_SGD_BODY
}

#if AG_X86
AG_TARGET_AVX2
static void sgd_momentum_update_avx2(int64_t n, float *p, const float *g, float *b, float gradientDecay,
                                     float momentum, float gradientWeight, float stepScale, bool nesterov) {
    AG_SGD_BODY
}
#endif

void ag_sgd_momentum_update(int64_t n, float *p, const float *g, float *b, float gradientDecay, float momentum,
                            float gradientWeight, float stepScale, bool nesterov) {
#if AG_X86
    if (ag_avx2_kernels_active()) {
        sgd_momentum_update_avx2(n, p, g, b, gradientDecay, momentum, gradientWeight, stepScale, nesterov);
        return;
    }
#endif
    sgd_momentum_update_portable(n, p, g, b, gradientDecay, momentum, gradientWeight, stepScale, nesterov);
}
