#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <math.h>

#include "erf_constants.h"
#include "exp_constants.h"

// The elementwise part of one time step of an LSTM or GRU layer over a batch, in single
// precision: the gate nonlinearities and the state update in one pass (forward), and
// their derivatives in one pass (backward). The matrix products around them (h·Whhᵀ,
// dGates·Whh) run in the GEMM kernels; see NDArray+Recurrent.swift for the whole layer.
//
// Gate blocks follow PyTorch: LSTM rows hold i, f, g, o (each `hidden` wide), GRU rows
// r, z, n. One source (recurrent_body.h), instantiated for each kernel path by
// vector_math_paths.h as the elementwise kernels are. exp, sigmoid and tanh are the
// polynomials of vector_math_body.h (a few ulp, like the vectorised functions PyTorch uses).

#define AG_VECTOR_BODY "recurrent_body.h"
#include "vector_math_paths.h"

// MARK: Entry points

void ag_lstm_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *bias,
                          float *gates, int64_t gatesRowStride, const float *cPrev, int64_t cPrevRowStride,
                          float *c, int64_t cRowStride, float *h, int64_t hRowStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, lstm_forward, (batch, hidden, x, xRowStride, bias, gates, gatesRowStride, cPrev,
                                           cPrevRowStride, c, cRowStride, h, hRowStride));
}

void ag_lstm_backward_step(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                           const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                           const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                           float *dGates, int64_t dGatesRowStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, lstm_backward, (batch, hidden, gates, gatesRowStride, cPrev, cPrevRowStride, c,
                                            cRowStride, gradH, gradHRowStride, dhNext, dc, dGates, dGatesRowStride));
}

void ag_gru_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *inputBias,
                         const float *hh, const float *bias, const float *hPrev, int64_t hPrevRowStride, float *work,
                         int64_t workRowStride, float *h, int64_t hRowStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, gru_forward, (batch, hidden, x, xRowStride, inputBias, hh, bias, hPrev, hPrevRowStride,
                                          work, workRowStride, h, hRowStride));
}

void ag_gru_backward_step(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                          const float *hPrev, int64_t hPrevRowStride, const float *gradH, int64_t gradHRowStride,
                          float *dh, float *dx, int64_t dxRowStride, float *dhh, int64_t dhhRowStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, gru_backward, (batch, hidden, work, workRowStride, hPrev, hPrevRowStride, gradH,
                                           gradHRowStride, dh, dx, dxRowStride, dhh, dhhRowStride));
}
