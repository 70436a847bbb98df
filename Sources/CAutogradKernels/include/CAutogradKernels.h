#ifndef C_AUTOGRAD_KERNELS_H
#define C_AUTOGRAD_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ag_indexing.h"

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Locks

/// Locks the mutex that guards `object` (one of a fixed set of stripes chosen by the
/// object's address); the same object always maps to the same mutex. Not reentrant.
void ag_object_lock(const void *object);

/// Unlocks what ag_object_lock(object) locked.
void ag_object_unlock(const void *object);

// MARK: Recording contexts

/// How many grad-mode contexts other than the default one are alive (the engine's
/// RecordingContext: every noGrad, enableGrad, tracing, anomaly or graph-scope block, and
/// every task that inherited one). While it is 0 no such block is active on any thread or
/// task, so an op can skip reading task-local state.
extern long ag_live_recording_contexts;

/// Reads ag_live_recording_contexts. Relaxed: a thread sees its own changes, and a task
/// sees the changes made before it was created.
static inline long ag_recording_contexts_alive(void) {
    return __atomic_load_n(&ag_live_recording_contexts, __ATOMIC_RELAXED);
}

/// Counts a context made.
static inline void ag_recording_context_made(void) {
    __atomic_fetch_add(&ag_live_recording_contexts, 1, __ATOMIC_RELAXED);
}

/// Counts a context freed.
static inline void ag_recording_context_freed(void) {
    __atomic_fetch_sub(&ag_live_recording_contexts, 1, __ATOMIC_RELAXED);
}

// MARK: Kernel paths and threads

/// The portable kernels: plain C for the baseline architecture (SSE2, NEON).
#define AG_KERNEL_PATH_PORTABLE 0
/// AVX2 + FMA kernels (x86-64 CPUs from Haswell and Zen on).
#define AG_KERNEL_PATH_AVX2 1
/// AVX-512 kernels where a routine has them (GEMM, sums, float32 elementwise ops and softmax,
/// im2col/col2im), AVX2 + FMA elsewhere (x86-64 CPUs with AVX-512F: Intel Skylake-SP and
/// later Xeons, AMD Zen 4 and later).
#define AG_KERNEL_PATH_AVX512 2
/// The AVX-512 path's tile shapes and blocking with its kernels' source compiled for AVX2
/// + FMA instead: lets a CPU without AVX-512 test that path's blocking, packing and edge
/// handling. Slower than both; never chosen automatically.
#define AG_KERNEL_PATH_AVX512_ON_AVX2 3

/// Whether this CPU can run kernel path `path`.
bool ag_kernel_path_available(int32_t path);

/// The kernel path in use: the best one the CPU supports, unless the environment variable
/// AUTOGRAD_KERNEL (`portable`, `avx2`, `avx512`) or ag_kernel_path_set chose another.
int32_t ag_kernel_path_get(void);

/// Forces kernel path `path` (a negative value restores the automatic choice); returns
/// false, changing nothing, when the CPU cannot run it.
bool ag_kernel_path_set(int32_t path);

/// Parses a GEMM cache-block override "mc,kc,nc", the form of AUTOGRAD_AVX512_SGEMM_BLOCKS
/// and AUTOGRAD_AVX512_DGEMM_BLOCKS (read once, on a process's first matrix product, to
/// tune the AVX-512 paths on a new CPU). Returns true and sets the three sizes when `text`
/// holds three positive integers with mc a multiple of `mr`, kc a multiple of 8 and nc a
/// multiple of `nr`; returns false and leaves them as they were otherwise.
bool ag_parse_gemm_blocks(const char *text, int64_t mr, int64_t nr, int64_t *mc, int64_t *kc, int64_t *nc);

/// The number of threads kernels may use (like torch.get_num_threads): by default the
/// CPUs this process may run on, or AUTOGRAD_NUM_THREADS when set.
int32_t ag_get_num_threads(void);

/// Sets the number of threads kernels may use; a value below 1 restores the default.
void ag_set_num_threads(int32_t count);

/// One task of a parallel loop: runs task `index` of `count` with the caller's `context`.
typedef void (*ag_task_fn)(void *context, int64_t index, int64_t count);

/// Runs fn(context, i, count) for every i in 0..<count on up to ag_get_num_threads()
/// threads (the caller is one of them) and returns when all have finished. Nested or
/// concurrent calls run serially on their caller.
void ag_parallel_for(int64_t count, ag_task_fn fn, void *context);

// MARK: GEMM

/// Row-major single-precision matrix product: C = op(A) * op(B) + beta * C.
///
/// op(A) is M x K: A itself (lda = its row stride) or, when transposeA, the transpose of a
/// K x M matrix. op(B) is K x N likewise. C is M x N with row stride ldc. beta is 0 (C is
/// overwritten) or 1 (the product is added to C). Packed and blocked, with the kernel path
/// of ag_kernel_path_get(), and split over threads when the product is large.
void ag_sgemm(bool transposeA, bool transposeB,
              int64_t M, int64_t N, int64_t K,
              const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);

/// The columns of C one micro-kernel call computes on the current kernel path (8, 16 or
/// 32): a product whose N is not a multiple of it computes its last sliver with padding.
int64_t ag_sgemm_sliver_columns(void);

/// ag_sgemm with operands read through element strides: C = A * B + beta * C, where the
/// M x K matrix A has entry (i, k) at A[i * rowStrideA + k * columnStrideA] and the K x N
/// matrix B has entry (k, j) at B[k * rowStrideB + j * columnStrideB]. A stride may be 0
/// (a broadcast view) or any other value, so views reach the kernel without a copy.
void ag_sgemm_strided(int64_t M, int64_t N, int64_t K,
                      const float *A, int64_t rowStrideA, int64_t columnStrideA,
                      const float *B, int64_t rowStrideB, int64_t columnStrideB,
                      float beta, float *C, int64_t ldc);

/// C = A * B + beta * C where row k of the K x N matrix B is the N contiguous floats at
/// B + rowOffsets[k]: the implicit GEMM of a stride-1 convolution, whose B rows (one per
/// input channel and kernel tap) are windows of one zero-padded image, so the image is
/// packed for the micro-kernel without being unfolded first. A is M x K with row stride
/// lda, C has row stride ldc and beta is 0 or 1, as in ag_sgemm; split over threads when
/// the product is large.
void ag_sgemm_offset_rows(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                          const float *B, const int64_t *rowOffsets, float beta, float *C, int64_t ldc);

/// Row-major double-precision matrix product through element strides, with the contract of
/// ag_sgemm_strided: C = A * B + beta * C, where the M x K matrix A has entry (i, k) at
/// A[i * rowStrideA + k * columnStrideA], the K x N matrix B has entry (k, j) at
/// B[k * rowStrideB + j * columnStrideB] (any stride may be 0 or otherwise arbitrary), C
/// has row stride ldc and beta is 0 (C is overwritten) or 1 (the product is added to C).
/// Packed and blocked, with the kernel path of ag_kernel_path_get(), and split over threads
/// when the product is large.
void ag_dgemm_strided(int64_t M, int64_t N, int64_t K,
                      const double *A, int64_t rowStrideA, int64_t columnStrideA,
                      const double *B, int64_t rowStrideB, int64_t columnStrideB,
                      double beta, double *C, int64_t ldc);

// MARK: Copies

/// Copies a rows x columns matrix read with the given strides into a destination with unit
/// column stride, in cache-sized tiles (a transposed view copies at memory speed).
void ag_copy_2d(int64_t rows, int64_t columns,
                const float *source, int64_t sourceRowStride, int64_t sourceColumnStride,
                float *destination, int64_t destinationRowStride);

// MARK: Reductions

/// The sum of x[0..<n], accumulated in double precision with independent partial sums;
/// from 128K elements in blocks of 32K summed on the kernel threads (the same result
/// whatever the number of threads).
double ag_sum(const float *x, int64_t n);

/// Unfolds one image [channels, height, width] into columns
/// [channels * kernelH * kernelW, outH * outW] for convolution as a matrix product.
/// Positions that fall in the zero padding read as 0.
void ag_im2col(const float *image, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *columns);

/// The adjoint of ag_im2col: adds each column entry back into the image position it was
/// read from (positions in the padding are dropped). The image must be zeroed by the caller.
void ag_col2im(const float *columns, int64_t channels, int64_t height, int64_t width,
               int64_t kernelH, int64_t kernelW,
               int64_t strideH, int64_t strideW,
               int64_t padH, int64_t padW,
               int64_t dilationH, int64_t dilationW,
               int64_t outH, int64_t outW,
               float *image);

/// ag_im2col restricted to output positions [first, last) (position = oy * outW + ox):
/// writes columns [channels * kernelH * kernelW, last - first] whose rows are ldColumns
/// floats apart (ldColumns >= last - first, so several images can sit side by side).
void ag_im2col_range(const float *image, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, float *columns, int64_t ldColumns);

/// ag_col2im restricted to output positions [first, last): adds columns
/// [channels * kernelH * kernelW, last - first], rows ldColumns floats apart, into the image.
void ag_col2im_range(const float *columns, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, int64_t ldColumns, float *image);

// MARK: Winograd F(2×2, 3×3) transforms (conv_winograd.c)

/// The kernel transform U = G·g·Gᵀ of F(2×2, 3×3) for kernels `weight` [outChannels,
/// channels, 3, 3]: 16 row-major planes [rows, depth], position ξ = 4i + j of row r and
/// column k at transformed[ξ·rows·depth + r·depth + k]. Rows are output channels and columns
/// input channels (rows = outChannels); with `flipTransposed`, the kernels of the input
/// gradient: each flipped in both axes, with the channel axes swapped (rows = channels).
void ag_winograd_kernels(const float *weight, int64_t outChannels, int64_t channels, bool flipTransposed,
                         float *transformed);

/// The input transform V = Bᵀ·d·B of F(2×2, 3×3) for tiles [firstTile, firstTile + tileCount)
/// of a batch of images [channels, height, width] read with `padTop` and `padLeft` rows and
/// columns of zeros before them (and zeros past their end). Tile t covers outputs
/// (2·ty .. 2·ty+1, 2·tx .. 2·tx+1) of image t / (tileRows·tileColumns), tiles in row-major
/// order; its patch starts at input row 2·ty − padTop and column 2·tx − padLeft. Writes 16
/// planes [channels, tileCount], planeStride floats apart:
/// transformed[ξ·planeStride + c·tileCount + t − firstTile].
void ag_winograd_input_tiles(const float *images, int64_t channels, int64_t height, int64_t width,
                             int64_t padTop, int64_t padLeft, int64_t tileRows, int64_t tileColumns,
                             int64_t firstTile, int64_t tileCount, float *transformed, int64_t planeStride);

/// The output transform Y = Aᵀ·M·A of F(2×2, 3×3): from 16 planes `products`
/// [outChannels, tileCount], planeStride floats apart (as ag_winograd_input_tiles writes), writes
/// the 2×2 outputs of tiles [firstTile, firstTile + tileCount), plus bias[o] when `bias` is
/// not NULL, into `output` [batch, outChannels, outHeight, outWidth]; outputs past the last
/// row or column of an odd-sized output are dropped.
void ag_winograd_output_tiles(const float *products, int64_t outChannels, int64_t outHeight, int64_t outWidth,
                              int64_t tileRows, int64_t tileColumns, int64_t firstTile, int64_t tileCount,
                              int64_t planeStride, const float *bias, float *output);

/// The gradient transform A·δ·Aᵀ of F(2×2, 3×3), the adjoint of the output transform: from
/// the output gradient `gradient` [batch, outChannels, outHeight, outWidth] (zeros past its
/// last row or column), the 2×2 gradients of tiles [firstTile, firstTile + tileCount) into 16
/// planes [outChannels, tileCount], planeStride floats apart (as ag_winograd_input_tiles writes).
void ag_winograd_gradient_tiles(const float *gradient, int64_t outChannels, int64_t outHeight, int64_t outWidth,
                                int64_t tileRows, int64_t tileColumns, int64_t firstTile, int64_t tileCount,
                                float *transformed, int64_t planeStride);

/// The weight gradient [outChannels, channels, 3, 3] = Gᵀ·P·G from the 16 planes `products`
/// [outChannels, channels] (P at position ξ = 4i + j of row o and column c at
/// products[ξ·outChannels·channels + o·channels + c]): the sums over tiles of the transformed
/// gradient times the transformed input.
void ag_winograd_weight_gradient(const float *products, int64_t outChannels, int64_t channels, float *weightGradient);

// MARK: Direct convolution (conv_direct.c)

/// A direct 2-D convolution (cross-correlation) of `batch` images [channels, height, width]
/// with kernels [outChannels, channels, kernelH, kernelW], plus `bias` (outChannels values, or
/// NULL), into `output` [batch, outChannels, outH, outW] (PyTorch's conv2d without groups;
/// outH and outW from PyTorch's formula). No columns are unfolded: each output is summed from
/// the image (a zero-padded copy when there is padding), tiles of output channels and output
/// rows in registers on the AVX2 path. Meant for kernels with few input channels and taps;
/// split over the batch on the kernel threads when large.
void ag_conv2d_direct(const float *input, int64_t batch, int64_t channels, int64_t height, int64_t width,
                      const float *weight, int64_t outChannels, int64_t kernelH, int64_t kernelW,
                      int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                      int64_t dilationH, int64_t dilationW, const float *bias,
                      int64_t outH, int64_t outW, float *output);

/// The kernels' gradient of ag_conv2d_direct: writes gradWeight [outChannels, channels,
/// kernelH, kernelW] = Σ over images and output positions of grad · the input each tap read,
/// from the output gradient `grad` [batch, outChannels, outH, outW] and the `input`. Split over
/// (output-channel block, input channel) pairs on the kernel threads when large.
void ag_conv2d_direct_weight_gradient(const float *grad, const float *input, int64_t batch, int64_t channels,
                                      int64_t height, int64_t width, int64_t outChannels, int64_t kernelH,
                                      int64_t kernelW, int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                                      int64_t dilationH, int64_t dilationW, int64_t outH, int64_t outW,
                                      float *gradWeight);

/// The input's gradient of ag_conv2d_direct: writes gradInput [batch, channels, height, width]
/// from the output gradient `grad` and the kernels, as a direct convolution of the gradient
/// (spread on the stride's grid and padded) with the kernels flipped and transposed.
void ag_conv2d_direct_input_gradient(const float *grad, const float *weight, int64_t batch, int64_t channels,
                                     int64_t height, int64_t width, int64_t outChannels, int64_t kernelH,
                                     int64_t kernelW, int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                                     int64_t dilationH, int64_t dilationW, int64_t outH, int64_t outW,
                                     float *gradInput);

// MARK: Buffer cache (allocator.c)

/// The capacity a buffer of `bytes` gets: its size class for cached sizes (64 KiB and up),
/// `bytes` itself below.
size_t ag_buffer_capacity(size_t bytes);
/// A buffer of `capacity` bytes (a value from ag_buffer_capacity), 64-byte aligned (a cache
/// line: vector rows read in place do not straddle lines): a cached one of its size class
/// if there is one, else from aligned_alloc; NULL when out of memory.
void *ag_buffer_allocate(size_t capacity);
/// Returns a buffer from ag_buffer_allocate: kept for reuse while the cache is under its
/// limit, otherwise freed.
void ag_buffer_free(void *buffer, size_t capacity);
/// Frees every cached buffer; returns the bytes released.
size_t ag_buffer_cache_empty(void);
/// The bytes the cache holds now.
size_t ag_buffer_cache_bytes(void);
/// Sets the most bytes the cache may hold (emptying it if it holds more).
void ag_buffer_cache_set_limit(size_t bytes);
/// The most bytes the cache may hold.
size_t ag_buffer_cache_limit(void);

// MARK: Pooling

/// Max pooling of `planes` images [height, width] (contiguous, one after another) into
/// output planes [outH, outW]: each output is the largest tap of its window (kernelH x
/// kernelW taps spaced by the dilation, windows stride apart over the image padded on each
/// side; padding never wins), and `indices` gets the tap's flat index y * width + x in its
/// plane, as a float. Ties go to the first tap in row-major order and NaN wins, as in
/// PyTorch. Every window must have a tap inside the image.
void ag_max_pool2d(const float *input, int64_t planes, int64_t height, int64_t width,
                   int64_t kernelH, int64_t kernelW,
                   int64_t strideH, int64_t strideW,
                   int64_t padH, int64_t padW,
                   int64_t dilationH, int64_t dilationW,
                   int64_t outH, int64_t outW,
                   float *output, float *indices);

/// The adjoint of ag_max_pool2d: adds grad[plane][i] into gradInput[plane][indices[plane][i]]
/// for `planes` planes of outputSize gradients and inputSize inputs. gradInput must be
/// zeroed by the caller.
void ag_max_pool2d_backward(const float *grad, const float *indices, int64_t planes,
                            int64_t inputSize, int64_t outputSize, float *gradInput);

// MARK: Recurrent layers

/// The number of floats ag_sgemm_pack_b writes for a K x N right operand.
int64_t ag_sgemm_packed_b_size(int64_t K, int64_t N);

/// Packs the K x N matrix op(B) (entry (k, j) at B[k * rowStrideB + j * columnStrideB]) whole
/// into `packed` (ag_sgemm_packed_b_size(K, N) floats), laid out for the current kernel
/// path's micro-kernel, so that many products with it skip packing it again.
void ag_sgemm_pack_b(int64_t K, int64_t N, const float *B, int64_t rowStrideB, int64_t columnStrideB, float *packed);

/// C = A * op(B) + beta * C (ag_sgemm_strided's contract) with op(B) already packed by
/// ag_sgemm_pack_b for the same K and N on the same kernel path. Split over the threads
/// by columns when the product is large.
void ag_sgemm_packed_b(int64_t M, int64_t N, int64_t K, const float *A, int64_t rowStrideA, int64_t columnStrideA,
                       const float *packed, float beta, float *C, int64_t ldc);

/// The elementwise part of one LSTM time step for `batch` rows of `hidden` units (gate
/// blocks i, f, g, o, each `hidden` wide). On entry each row of `gates` holds h_{t-1}·Whhᵀ
/// and each row of `x` the input projection x_t·Wihᵀ; `bias` (4·hidden values, b_ih + b_hh,
/// or NULL for none) is added to both; on return `gates` holds the activated gates σ(i),
/// σ(f), tanh(g), σ(o), `c` the new cell state f·c_{t-1} + i·g and `h` the new hidden state
/// o·tanh(c). Row strides are in floats; `h` and `c` may not alias the inputs.
void ag_lstm_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *bias,
                          float *gates, int64_t gatesRowStride, const float *cPrev, int64_t cPrevRowStride,
                          float *c, int64_t cRowStride, float *h, int64_t hRowStride);

/// The backward of ag_lstm_forward_step: from the activated `gates`, the previous and new
/// cell states, the gradient `gradH` of h_t from the layer's output plus `dhNext` (the
/// gradient reaching h_t from step t + 1, rows `hidden` wide) and `dc` (the gradient of c_t
/// from step t + 1, rows `hidden` wide), writes the gradients of the four gates' inputs
/// (before their nonlinearities) to `dGates` and replaces `dc` with the gradient of c_{t-1}.
void ag_lstm_backward_step(int64_t batch, int64_t hidden, const float *gates, int64_t gatesRowStride,
                           const float *cPrev, int64_t cPrevRowStride, const float *c, int64_t cRowStride,
                           const float *gradH, int64_t gradHRowStride, const float *dhNext, float *dc,
                           float *dGates, int64_t dGatesRowStride);

/// The elementwise part of one GRU time step (gate blocks r, z, n): from the input
/// projection rows `x` (x_t·Wihᵀ) and its bias `inputBias` (b_ih, 3·hidden values or NULL),
/// `hh` = h_{t-1}·Whhᵀ (rows 3·hidden wide) and the hidden bias `bias` (b_hh, 3·hidden values,
/// or NULL for none), computes r = σ(x_r + b_ir + hh_r + b_hr), z = σ(x_z + b_iz + hh_z + b_hz),
/// n = tanh(x_n + b_in + r·(hh_n + b_hn)) and h = n + z·(h_{t-1} - n) (PyTorch's order of
/// operations). `work` rows (4·hidden wide) receive r, z, n and hh_n + b_hn for backward.
void ag_gru_forward_step(int64_t batch, int64_t hidden, const float *x, int64_t xRowStride, const float *inputBias,
                         const float *hh, const float *bias, const float *hPrev, int64_t hPrevRowStride, float *work,
                         int64_t workRowStride, float *h, int64_t hRowStride);

/// The backward of ag_gru_forward_step: with dh_t = gradH + dh (dh holds the gradient reaching
/// h_t from step t + 1, rows `hidden` wide), writes the gradients of the input projection's
/// gates to `dx`, those of h_{t-1}·Whhᵀ + b_hh to `dhh`, and replaces `dh` with the part of
/// h_{t-1}'s gradient that bypasses the matrix product (dh_t·z).
void ag_gru_backward_step(int64_t batch, int64_t hidden, const float *work, int64_t workRowStride,
                          const float *hPrev, int64_t hPrevRowStride, const float *gradH, int64_t gradHRowStride,
                          float *dh, float *dx, int64_t dxRowStride, float *dhh, int64_t dhhRowStride);

// MARK: Activations

/// The exact GELU of `n` floats: y = x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2 (PyTorch's
/// `gelu(x)`, evaluated in that order). erf comes from ag_erf's polynomials, so the result
/// is within a few ulp of the same formula with the C library's erff. `y` may be `x`.
void ag_gelu_forward(int64_t n, const float *x, float *y);

/// The gradient of ag_gelu_forward: dx = grad·(Φ(x) + x·φ(x)), φ(x) = e^(-x²/2)/√(2π), with
/// ag_erf's erf and ag_exp's exp. `dx` may be `x` or `grad`.
void ag_gelu_backward(int64_t n, const float *x, const float *grad, float *dx);

/// erf of `n` floats by polynomials (eight lanes at a time on the AVX2 path): within 2 ulp of
/// the correctly rounded value, exact at ±0 and ±inf, NaN for NaN.
void ag_erf(int64_t n, const float *x, float *y);

/// e^x of `n` floats by a polynomial (ag_unary_f32's AG_UNARY_EXP, 8 or 16 lanes on the
/// AVX2 and AVX-512 paths): within 2 ulp of the correctly rounded value for normal
/// results, +inf above ln(FLT_MAX), subnormal results near the bottom and 0 below
/// ln(2^-150); NaN for NaN.
void ag_exp(int64_t n, const float *x, float *y);

// MARK: Elementwise float32 ops and softmax (elementwise.c)

/// Ops of ag_unary_f32: y = -x; max-like x > 0 ? x : 0 (NaN and -0 give +0); x + s; x * s;
/// s - x; s / x; x * x; 1 / x; x > 0 ? 1 : 0; |x| (the sign bit cleared); e^x; 1 / (1 + e^-x);
/// tanh x. exp is within 2 ulp (ag_exp's polynomial), sigmoid and tanh (Cephes' tanhf
/// around the same exp) within a few.
#define AG_UNARY_NEGATE 0
#define AG_UNARY_RELU 1
#define AG_UNARY_ADD_SCALAR 2
#define AG_UNARY_MULTIPLY_SCALAR 3
#define AG_UNARY_REVERSE_SUBTRACT_SCALAR 4
#define AG_UNARY_REVERSE_DIVIDE_SCALAR 5
#define AG_UNARY_SQUARE 6
#define AG_UNARY_RECIPROCAL 7
#define AG_UNARY_IS_POSITIVE 8
#define AG_UNARY_ABS 9
#define AG_UNARY_EXP 10
#define AG_UNARY_SIGMOID 11
#define AG_UNARY_TANH 12
/// The number of AG_UNARY_ ops.
#define AG_UNARY_OP_COUNT 13

/// Ops of ag_binary_f32: y = a + b, a - b, a * b, a / b.
#define AG_BINARY_ADD 0
#define AG_BINARY_SUBTRACT 1
#define AG_BINARY_MULTIPLY 2
#define AG_BINARY_DIVIDE 3
/// The number of AG_BINARY_ ops.
#define AG_BINARY_OP_COUNT 4

/// y[i] = op(x[i * xStride]) for i in 0..<n, with op an AG_UNARY_ code and `scalar` the s
/// of the ops that take one. xStride must be 1 or 0 (x[0] for every element); `y` may be
/// `x` (stride 1). Vectorised on the kernel path in use (4, 8 or 16 lanes), the last partial
/// vector included, so every element of an array gets the same arithmetic. Returns false,
/// writing nothing, for an unknown op or another stride.
bool ag_unary_f32(int32_t op, float scalar, int64_t n, const float *x, int64_t xStride, float *y);

/// y[i] = op(a[i * aStride], b[i * bStride]) for i in 0..<n, with op an AG_BINARY_ code and
/// each stride 1 or 0 (a broadcast scalar). `y` may be `a` or `b` (stride 1). Returns
/// false, writing nothing, for an unknown op or another stride.
bool ag_binary_f32(int32_t op, int64_t n, const float *a, int64_t aStride, const float *b, int64_t bStride,
                   float *y);

/// y[i] += scale * x[i] for i in 0..<n (the optimizers' `p -= lr * g`, `buf += g`),
/// vectorised on the kernel path in use. The product is rounded before the sum on every
/// path (no fused multiply-add), as in the separate ops and the fused Adam update, so all
/// three give the same bits. `x` and `y` may be the same array, but may not otherwise overlap.
void ag_add_scaled_f32(int64_t n, float scale, const float *x, float *y);

/// Softmax (or, when `logarithm`, log-softmax) of `rows` contiguous rows of `length` floats:
/// y = e^(x - max) / Σ e^(x - max), or (x - max) - ln Σ e^(x - max), with max the row's
/// largest element (0 when every element is -inf). exp is ag_exp's polynomial; the sum is
/// kept in per-lane float partial sums. From 32K elements the rows are split over the
/// kernel threads (each row's result does not depend on the number of threads). `y` may
/// not overlap `x` unless it is `x`.
void ag_softmax_rows(int64_t rows, int64_t length, const float *x, float *y, bool logarithm);

// MARK: Normalisation

/// Layer normalisation of `rows` contiguous rows of `width` floats: y = (x - mean)·rstd, times
/// `weight` and plus `bias` (`width` values each, or NULL for none), with mean the row's
/// average and rstd = 1/√(var + eps), var the biased variance. Writes each row's mean and rstd.
void ag_layer_norm_forward(int64_t rows, int64_t width, const float *x, const float *weight, const float *bias,
                           float eps, float *y, float *mean, float *rstd);

/// The backward of ag_layer_norm_forward for `rows` rows: with x̂ = (x - mean)·rstd and
/// g = grad·weight (grad when `weight` is NULL), writes dx = rstd·(g - mean(g) - x̂·mean(g·x̂))
/// and adds Σ grad·x̂ over the rows to `dweight` and Σ grad to `dbias` (`width` values each).
void ag_layer_norm_backward(int64_t rows, int64_t width, const float *x, const float *grad, const float *mean,
                            const float *rstd, const float *weight, float *dx, float *dweight, float *dbias);

// MARK: Optimizers

/// One Adam update of `n` float32 parameters `p` with gradients `g` and moments `m`, `v`, in
/// place: p = p·parameterScale; g' = g + p·gradientDecay (when gradientDecay ≠ 0);
/// m = m + firstMomentWeight·(g' - m); v = v·beta2 + secondMomentWeight·(g'·g');
/// p = p + stepScale·(m / (√v·denominatorScale + eps)). Every step is rounded to float32
/// separately (no fused multiply-adds), as the unfused elementwise ops round it.
void ag_adam_update(int64_t n, float *p, const float *g, float *m, float *v, float parameterScale,
                    float gradientDecay, float firstMomentWeight, float beta2, float secondMomentWeight,
                    float denominatorScale, float eps, float stepScale);

/// One SGD step with momentum of `n` float32 parameters `p` with gradients `g` and momentum
/// buffer `b`, in place: g' = g + p·gradientDecay (when gradientDecay ≠ 0);
/// b = b·momentum; b = b + gradientWeight·g'; p = p + stepScale·d, where d is
/// g' + b·momentum when `nesterov`, else b. Every step is rounded to float32 separately (no
/// fused multiply-adds), as the unfused elementwise ops round it.
void ag_sgd_momentum_update(int64_t n, float *p, const float *g, float *b, float gradientDecay, float momentum,
                            float gradientWeight, float stepScale, bool nesterov);

#ifdef __cplusplus
}
#endif

#endif
