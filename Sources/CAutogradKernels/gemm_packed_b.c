#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <string.h>

#if AG_X86
#include <immintrin.h>
#endif

// Single-precision GEMM with the right operand packed once and reused: a recurrent layer
// multiplies a new small left operand (the batch's hidden state, a few dozen rows) by the
// same weight matrix at every time step, and packing the weights each time would cost
// about as much as the product. The packed layout is the one gemm_driver.h builds for a
// shared op(B): per kc block of the depth (kc blocks of near-equal size), the nr-wide
// slivers of every column one after another, sliver s at s * nr * depth.

/// The size of each of ceil(extent / limit) near-equal chunks, rounded up to `unit` (as the
/// driver splits the depth, so the blocks match its kc blocks).
static int64_t chunk_size(int64_t extent, int64_t limit, int64_t unit) {
    int64_t chunks = (extent + limit - 1) / limit;
    int64_t size = (extent + chunks - 1) / chunks;
    return (size + unit - 1) / unit * unit;
}

/// N rounded up to whole slivers of the current kernel path.
static int64_t padded_columns(const ag_gemm_config *cfg, int64_t N) { return (N + cfg->nr - 1) / cfg->nr * cfg->nr; }

int64_t ag_sgemm_packed_b_size(int64_t K, int64_t N) {
    const ag_gemm_config *cfg = ag_gemm_config_for(ag_kernel_path_get());
    return (K > 0 ? K : 1) * padded_columns(cfg, N > 0 ? N : 1);
}

void ag_sgemm_pack_b(int64_t K, int64_t N, const float *B, int64_t rowStrideB, int64_t columnStrideB, float *packed) {
    if (K <= 0 || N <= 0) return;
    const ag_gemm_config *cfg = ag_gemm_config_for(ag_kernel_path_get());
    int64_t depthBlock = chunk_size(K, cfg->kc, 8), paddedN = padded_columns(cfg, N);
    for (int64_t k0 = 0; k0 < K; k0 += depthBlock) {
        int64_t depth = K - k0 < depthBlock ? K - k0 : depthBlock;
        cfg->pack(cfg->nr, B + k0 * rowStrideB, columnStrideB, rowStrideB, N, depth, packed + k0 * paddedN);
    }
}

#if AG_X86
// Edge tiles of fewer rows than the AVX2 micro-kernel's six: a recurrent step's batch
// slice (16 rows, say) leaves one such tile per column sliver, and computing it at full
// height would waste a third of that tile's work. These kernels read the same packed
// slivers (six A values per step, of which the first R count) and keep 2·R accumulators.
#define AG_EDGE_KERNEL(R)                                                                              \
    AG_TARGET_AVX2 static void edge_kernel_##R(int64_t kc, const float *a, const float *b, float *c,   \
                                               int64_t ldc, bool accumulate) {                         \
        __m256 sum[R][2];                                                                              \
        for (int r = 0; r < R; r++) sum[r][0] = sum[r][1] = _mm256_setzero_ps();                       \
        for (int64_t k = 0; k < kc; k++) {                                                             \
            __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);                                 \
            for (int r = 0; r < R; r++) {                                                              \
                __m256 ar = _mm256_broadcast_ss(a + r);                                                \
                sum[r][0] = _mm256_fmadd_ps(ar, b0, sum[r][0]);                                        \
                sum[r][1] = _mm256_fmadd_ps(ar, b1, sum[r][1]);                                        \
            }                                                                                          \
            a += 6;                                                                                    \
            b += 16;                                                                                   \
        }                                                                                              \
        for (int r = 0; r < R; r++) {                                                                  \
            float *row = c + r * ldc;                                                                  \
            if (accumulate) {                                                                          \
                sum[r][0] = _mm256_add_ps(sum[r][0], _mm256_loadu_ps(row));                            \
                sum[r][1] = _mm256_add_ps(sum[r][1], _mm256_loadu_ps(row + 8));                        \
            }                                                                                          \
            _mm256_storeu_ps(row, sum[r][0]);                                                          \
            _mm256_storeu_ps(row + 8, sum[r][1]);                                                      \
        }                                                                                              \
    }
AG_EDGE_KERNEL(1)
AG_EDGE_KERNEL(2)
AG_EDGE_KERNEL(3)
AG_EDGE_KERNEL(4)
AG_EDGE_KERNEL(5)
#undef AG_EDGE_KERNEL

/// The edge kernel for `rows` (1 to 5) rows of a full-width tile.
static ag_microkernel_fn edge_kernel_avx2(int64_t rows) {
    static const ag_microkernel_fn kernels[5] = {edge_kernel_1, edge_kernel_2, edge_kernel_3, edge_kernel_4,
                                                 edge_kernel_5};
    return kernels[rows - 1];
}
#endif

/// One product with a packed right operand, split over the threads by runs of slivers.
typedef struct {
    const ag_gemm_config *cfg;
    int64_t M, N, K;
    const float *A; int64_t rowStrideA, columnStrideA;
    const float *packed;
    bool accumulate;
    float *C; int64_t ldc;
    int64_t depthBlock, paddedN;
    bool edgeKernels;            // the AVX2 path: short full-width tiles have kernels of their own
} packed_job;

/// Runs the micro-kernel on the tile at (i, j) with `rows` x `columns` live entries: a
/// full-width tile of fewer rows on the path's short-tile kernel (the AVX-512 paths) or the
/// edge kernels above (AVX2); any other edge tile is computed aside and only its live part kept.
static inline void packed_tile(const packed_job *job, int64_t depth, const float *a, const float *b, int64_t i,
                               int64_t j, int64_t rows, int64_t columns, bool accumulate) {
    const ag_gemm_config *cfg = job->cfg;
    float *c = job->C + i * job->ldc + j;
    if (rows == cfg->mr && columns == cfg->nr) {
        cfg->kernel(depth, a, b, c, job->ldc, accumulate);
        return;
    }
    if (cfg->kernelRows != NULL && columns == cfg->nr) {
        cfg->kernelRows(depth, a, 1, cfg->mr, b, cfg->nr, c, job->ldc, accumulate, rows);
        return;
    }
#if AG_X86
    if (job->edgeKernels && columns == cfg->nr) {
        edge_kernel_avx2(rows)(depth, a, b, c, job->ldc, accumulate);
        return;
    }
#endif
    float edge[AG_GEMM_MAX_TILE] __attribute__((aligned(64)));
    cfg->kernel(depth, a, b, edge, cfg->nr, false);
    for (int64_t r = 0; r < rows; r++) {
        float *row = c + r * job->ldc;
        const float *src = edge + r * cfg->nr;
        if (accumulate) {
            for (int64_t q = 0; q < columns; q++) row[q] += src[q];
        } else {
            for (int64_t q = 0; q < columns; q++) row[q] = src[q];
        }
    }
}

/// Task `task` of `tasks`: columns of whole slivers [first, last), every row.
static void packed_task(void *context, int64_t task, int64_t tasks) {
    const packed_job *job = context;
    const ag_gemm_config *cfg = job->cfg;
    int64_t slivers = job->paddedN / cfg->nr;
    int64_t first = slivers * task / tasks, last = slivers * (task + 1) / tasks;
    if (first >= last) return;
    int64_t blockRows = chunk_size(job->M, cfg->mc, cfg->mr);
    int64_t kcMax = job->K < job->depthBlock ? job->K : job->depthBlock;
    float *panelA = ag_gemm_thread_buffer(AG_GEMM_PRIVATE_BUFFER, (size_t)(blockRows * kcMax) * sizeof(float));
    for (int64_t k0 = 0; k0 < job->K; k0 += job->depthBlock) {
        int64_t depth = job->K - k0 < job->depthBlock ? job->K - k0 : job->depthBlock;
        bool accumulate = job->accumulate || k0 > 0;
        const float *packedBlock = job->packed + k0 * job->paddedN;
        for (int64_t i0 = 0; i0 < job->M; i0 += blockRows) {
            int64_t rows = job->M - i0 < blockRows ? job->M - i0 : blockRows;
            cfg->pack(cfg->mr, job->A + i0 * job->rowStrideA + k0 * job->columnStrideA, job->rowStrideA,
                      job->columnStrideA, rows, depth, panelA);
            for (int64_t s = first; s < last; s++) {
                int64_t j = s * cfg->nr;
                int64_t columns = job->N - j < cfg->nr ? job->N - j : cfg->nr;
                const float *panelB = packedBlock + j * depth;
                for (int64_t i = 0; i < rows; i += cfg->mr) {
                    int64_t live = rows - i < cfg->mr ? rows - i : cfg->mr;
                    packed_tile(job, depth, panelA + i * depth, panelB, i0 + i, j, live, columns, accumulate);
                }
            }
        }
    }
}

void ag_sgemm_packed_b(int64_t M, int64_t N, int64_t K, const float *A, int64_t rowStrideA, int64_t columnStrideA,
                       const float *packed, float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (beta == 0) {
            for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
        }
        return;
    }
    const ag_gemm_config *cfg = ag_gemm_config_for(ag_kernel_path_get());
    packed_job job = {
        .cfg = cfg, .M = M, .N = N, .K = K, .A = A, .rowStrideA = rowStrideA, .columnStrideA = columnStrideA,
        .packed = packed, .accumulate = beta != 0, .C = C, .ldc = ldc,
        .depthBlock = chunk_size(K, cfg->kc, 8), .paddedN = padded_columns(cfg, N),
        .edgeKernels = ag_avx2_kernels_active() && cfg->mr == 6 && cfg->nr == 16,
    };
    int64_t slivers = job.paddedN / cfg->nr;
    int64_t parts = (double)M * (double)N * (double)K < (1 << 20) ? 1 : ag_get_num_threads();
    if (parts > slivers) parts = slivers;
    if (parts <= 1) {
        packed_task(&job, 0, 1);
        return;
    }
    ag_parallel_for(parts, packed_task, &job);
}
