#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <math.h>

#include "erf_constants.h"
#include "exp_constants.h"

// Float32 elementwise ops over rows whose strides are 1 or 0 (a broadcast scalar), erf and
// the exact GELU (forward and backward) over contiguous arrays, and softmax over contiguous
// rows, one kernel per path from one source (elementwise_body.h, instantiated for each
// path by vector_math_paths.h: 4 lanes portable, 8 on AVX2, 16 on AVX-512).
// exp, sigmoid, tanh and softmax use the polynomial exp of exp_constants.h; erf and the exact
// GELU the polynomials of erf_constants.h with that exp.

#define AG_VECTOR_BODY "elementwise_body.h"
#include "vector_math_paths.h"

bool ag_unary_f32(int32_t op, float scalar, int64_t n, const float *x, int64_t xStride, float *y) {
    if (xStride != 0 && xStride != 1) return false;
    if (n <= 0) return op >= 0 && op < AG_UNARY_OP_COUNT;
    int32_t path = ag_kernel_path_get();
    return AG_ON_KERNEL_PATH(path, unary, (op, scalar, n, x, xStride, y));
}

bool ag_binary_f32(int32_t op, int64_t n, const float *a, int64_t aStride, const float *b, int64_t bStride,
                   float *y) {
    if ((aStride != 0 && aStride != 1) || (bStride != 0 && bStride != 1)) return false;
    if (n <= 0) return op >= 0 && op < AG_BINARY_OP_COUNT;
    int32_t path = ag_kernel_path_get();
    return AG_ON_KERNEL_PATH(path, binary, (op, n, a, aStride, b, bStride, y));
}

void ag_add_scaled_f32(int64_t n, float scale, const float *x, float *y) {
    if (n <= 0) return;
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, add_scaled, (n, scale, x, y));
}

void ag_erf(int64_t n, const float *x, float *y) {
    if (n <= 0) return;
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, erf_array, (n, x, y));
}

void ag_exp(int64_t n, const float *x, float *y) {
    ag_unary_f32(AG_UNARY_EXP, 0, n, x, 1, y);
}

void ag_gelu_forward(int64_t n, const float *x, float *y) {
    if (n <= 0) return;
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, gelu_forward, (n, x, y));
}

void ag_gelu_backward(int64_t n, const float *x, const float *grad, float *dx) {
    if (n <= 0) return;
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, gelu_backward, (n, x, grad, dx));
}

/// Softmax rows [first, last) on kernel path `path`.
static void softmax_rows_on_path(int32_t path, int64_t first, int64_t last, int64_t length, const float *x,
                                 float *y, bool logarithm) {
    AG_ON_KERNEL_PATH(path, softmax_rows, (first, last, length, x, y, logarithm));
}

/// From this many elements the rows of a softmax are split over the kernel threads.
#define AG_SOFTMAX_PARALLEL_MIN (1 << 15)

typedef struct {
    int32_t path;
    int64_t rows, length;
    const float *x;
    float *y;
    bool logarithm;
} softmax_job;

static void softmax_task(void *context, int64_t part, int64_t parts) {
    const softmax_job *job = context;
    int64_t first = job->rows * part / parts, last = job->rows * (part + 1) / parts;
    softmax_rows_on_path(job->path, first, last, job->length, job->x, job->y, job->logarithm);
}

void ag_softmax_rows(int64_t rows, int64_t length, const float *x, float *y, bool logarithm) {
    if (rows <= 0 || length <= 0) return;
    int32_t path = ag_kernel_path_get();
    int64_t parts = ag_get_num_threads();
    if (parts > rows) parts = rows;
    if (rows * length < AG_SOFTMAX_PARALLEL_MIN || parts <= 1) {
        softmax_rows_on_path(path, 0, rows, length, x, y, logarithm);
        return;
    }
    softmax_job job = {.path = path, .rows = rows, .length = length, .x = x, .y = y, .logarithm = logarithm};
    ag_parallel_for(parts, softmax_task, &job);
}
