#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// GEMM in the BLIS style (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication"). For each nc-wide block of columns and kc-deep block of the inner
// dimension, op(B) is packed into nr-wide slivers (one k step = nr consecutive floats);
// for each mc-tall block of rows, op(A) is packed into mr-tall slivers; the micro-kernel
// then sweeps the mr x nr tiles of C with both slivers streaming from cache. Packing
// also absorbs the transposes, so the micro-kernel sees one layout.
//
// Work is split over threads by whole tiles along N (or M when it has more tiles);
// each thread packs its own panels, so the threads share nothing but the inputs.
// The micro-kernels and block sizes per kernel path are in gemm_microkernels.c.

/// Below this many multiply-adds the packing costs more than it saves.
#define AG_GEMM_PACKED_MIN 4096
/// Below this many multiply-adds a second thread costs more than it saves.
#define AG_GEMM_PARALLEL_MIN (1 << 20)

// MARK: Reference loop for tiny products

static void gemm_small(bool transposeA, bool transposeB, int64_t M, int64_t N, int64_t K,
                       const float *A, int64_t lda, const float *B, int64_t ldb,
                       bool accumulate, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (!accumulate) memset(c, 0, (size_t)N * sizeof(float));
        if (!transposeB) {
            for (int64_t k = 0; k < K; k++) {
                float a = transposeA ? A[k * lda + i] : A[i * lda + k];
                const float *b = B + k * ldb;
                for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
            }
        } else {
            for (int64_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float sum = 0.0f;
                for (int64_t k = 0; k < K; k++) sum += (transposeA ? A[k * lda + i] : A[i * lda + k]) * b[k];
                c[j] += sum;
            }
        }
    }
}

// MARK: Packing

/// Copies `count` floats; `count` is the register block (16, 8, 6 or 4), so the common
/// sizes become straight-line vector moves instead of a call to memcpy.
static inline void copy_floats(float *restrict dst, const float *restrict src, int64_t count) {
    switch (count) {
    case 16: for (int j = 0; j < 16; j++) dst[j] = src[j]; break;
    case 8: for (int j = 0; j < 8; j++) dst[j] = src[j]; break;
    case 6: for (int j = 0; j < 6; j++) dst[j] = src[j]; break;
    case 4: for (int j = 0; j < 4; j++) dst[j] = src[j]; break;
    default: for (int64_t j = 0; j < count; j++) dst[j] = src[j]; break;
    }
}

/// Gathers element k of each of `count` rows (row r at src + r * stride) for k in
/// 0..<depth into dst[k * width + r]: the transposing copy both packings need when the
/// inner dimension is the contiguous one. Works in blocks of 8 k so the rows are read
/// in cache-line-sized runs while the destination block stays in L1.
static inline void gather_columns(float *restrict dst, int64_t width, const float *restrict src, int64_t stride,
                                  int64_t count, int64_t depth) {
    int64_t k = 0;
    for (; k + 8 <= depth; k += 8) {
        for (int64_t r = 0; r < count; r++) {
            const float *row = src + r * stride + k;
            float *d = dst + k * width + r;
            for (int kk = 0; kk < 8; kk++) d[kk * width] = row[kk];
        }
    }
    for (; k < depth; k++) {
        for (int64_t r = 0; r < count; r++) dst[k * width + r] = src[r * stride + k];
    }
}

/// Packs rows [i0, i0+rows) x columns [k0, k0+depth) of op(A) into mr-tall slivers,
/// zero-filling the last sliver's missing rows.
static void pack_a(int64_t mr, bool transposeA, const float *A, int64_t lda,
                   int64_t i0, int64_t k0, int64_t rows, int64_t depth, float *dst) {
    for (int64_t p = 0; p < rows; p += mr, dst += mr * depth) {
        int64_t live = rows - p < mr ? rows - p : mr;
        if (!transposeA) {
            gather_columns(dst, mr, A + (i0 + p) * lda + k0, lda, live, depth);
            for (int64_t k = 0; k < depth; k++) {
                for (int64_t r = live; r < mr; r++) dst[k * mr + r] = 0.0f;
            }
        } else {
            for (int64_t k = 0; k < depth; k++) {
                const float *src = A + (k0 + k) * lda + i0 + p;
                float *d = dst + k * mr;
                if (live == mr) {
                    copy_floats(d, src, mr);
                } else {
                    for (int64_t r = 0; r < live; r++) d[r] = src[r];
                    for (int64_t r = live; r < mr; r++) d[r] = 0.0f;
                }
            }
        }
    }
}

/// Packs rows [k0, k0+depth) x columns [j0, j0+cols) of op(B) into nr-wide slivers,
/// zero-filling the last sliver's missing columns.
static void pack_b(int64_t nr, bool transposeB, const float *B, int64_t ldb,
                   int64_t k0, int64_t j0, int64_t depth, int64_t cols, float *dst) {
    if (!transposeB) {
        // Eight slivers at a time, row by row: each row of B is read as one contiguous run
        // of 8 * nr floats (rows are ldb apart, often in different pages), and the eight
        // destinations are written sequentially.
        const int64_t group = 8;
        for (int64_t q0 = 0; q0 < cols; q0 += group * nr) {
            int64_t q1 = q0 + group * nr < cols ? q0 + group * nr : cols;
            for (int64_t k = 0; k < depth; k++) {
                const float *src = B + (k0 + k) * ldb + j0;
                for (int64_t q = q0; q < q1; q += nr) {
                    float *d = dst + q * depth + k * nr;
                    int64_t live = q1 - q < nr ? q1 - q : nr;
                    if (live == nr) {
                        copy_floats(d, src + q, nr);
                    } else {
                        for (int64_t c = 0; c < live; c++) d[c] = src[q + c];
                        for (int64_t c = live; c < nr; c++) d[c] = 0.0f;
                    }
                }
            }
        }
        return;
    }
    for (int64_t q = 0; q < cols; q += nr, dst += nr * depth) {
        int64_t live = cols - q < nr ? cols - q : nr;
        gather_columns(dst, nr, B + (j0 + q) * ldb + k0, ldb, live, depth);
        for (int64_t k = 0; k < depth; k++) {
            for (int64_t c = live; c < nr; c++) dst[k * nr + c] = 0.0f;
        }
    }
}

// MARK: Per-thread packing buffers

static pthread_key_t buffer_key;
static pthread_once_t buffer_key_once = PTHREAD_ONCE_INIT;

typedef struct { float *base; size_t capacity; } pack_buffer;

static void free_buffer(void *value) {
    pack_buffer *buffer = value;
    free(buffer->base);
    free(buffer);
}

static void make_buffer_key(void) { pthread_key_create(&buffer_key, free_buffer); }

/// This thread's packing buffer, grown to at least `count` floats, 64-byte aligned.
static float *thread_buffer(size_t count) {
    pthread_once(&buffer_key_once, make_buffer_key);
    pack_buffer *buffer = pthread_getspecific(buffer_key);
    if (buffer == NULL) {
        buffer = calloc(1, sizeof *buffer);
        if (buffer == NULL) abort();
        pthread_setspecific(buffer_key, buffer);
    }
    if (buffer->capacity < count) {
        free(buffer->base);
        size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
        buffer->base = aligned_alloc(64, bytes);
        if (buffer->base == NULL) abort();
        buffer->capacity = count;
    }
    return buffer->base;
}

// MARK: The blocked loops

typedef struct {
    const ag_gemm_config *config;
    bool transposeA, transposeB, accumulate;
    int64_t M, N, K;
    const float *A; int64_t lda;
    const float *B; int64_t ldb;
    float *C; int64_t ldc;
    bool splitColumns;   // partitions split N (else M)
} gemm_job;

/// C[i0..<i1, j0..<j1] = op(A) op(B) (+ C when accumulating), on the calling thread.
static void gemm_block(const gemm_job *job, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    const ag_gemm_config *cfg = job->config;
    const int64_t mr = cfg->mr, nr = cfg->nr;
    int64_t kcMax = job->K < cfg->kc ? job->K : cfg->kc;
    int64_t ncMax = (j1 - j0) < cfg->nc ? (j1 - j0) : cfg->nc;
    int64_t mcMax = (i1 - i0) < cfg->mc ? (i1 - i0) : cfg->mc;
    size_t aSize = (size_t)((mcMax + mr - 1) / mr * mr * kcMax);
    size_t bSize = (size_t)((ncMax + nr - 1) / nr * nr * kcMax);
    aSize = (aSize + 15) & ~(size_t)15;     // keep the B panel 64-byte aligned
    float *packedA = thread_buffer(aSize + bSize);
    float *packedB = packedA + aSize;
    float edge[16 * 16] __attribute__((aligned(64)));

    for (int64_t jc = j0; jc < j1; jc += cfg->nc) {
        int64_t ncCur = j1 - jc < cfg->nc ? j1 - jc : cfg->nc;
        for (int64_t pc = 0; pc < job->K; pc += cfg->kc) {
            int64_t kcCur = job->K - pc < cfg->kc ? job->K - pc : cfg->kc;
            bool accumulate = job->accumulate || pc > 0;
            pack_b(nr, job->transposeB, job->B, job->ldb, pc, jc, kcCur, ncCur, packedB);
            for (int64_t ic = i0; ic < i1; ic += cfg->mc) {
                int64_t mcCur = i1 - ic < cfg->mc ? i1 - ic : cfg->mc;
                pack_a(mr, job->transposeA, job->A, job->lda, ic, pc, mcCur, kcCur, packedA);
                for (int64_t jr = 0; jr < ncCur; jr += nr) {
                    int64_t nrCur = ncCur - jr < nr ? ncCur - jr : nr;
                    const float *b = packedB + jr * kcCur;
                    for (int64_t ir = 0; ir < mcCur; ir += mr) {
                        int64_t mrCur = mcCur - ir < mr ? mcCur - ir : mr;
                        const float *a = packedA + ir * kcCur;
                        float *c = job->C + (ic + ir) * job->ldc + jc + jr;
                        if (mrCur == mr && nrCur == nr) {
                            cfg->kernel(kcCur, a, b, c, job->ldc, accumulate);
                        } else {
                            // An edge tile: compute the full tile aside, keep the live part.
                            cfg->kernel(kcCur, a, b, edge, nr, false);
                            for (int64_t i = 0; i < mrCur; i++) {
                                float *row = c + i * job->ldc;
                                const float *src = edge + i * nr;
                                if (accumulate) {
                                    for (int64_t j = 0; j < nrCur; j++) row[j] += src[j];
                                } else {
                                    for (int64_t j = 0; j < nrCur; j++) row[j] = src[j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Runs partition `part` of `parts`: a run of whole tiles along the split dimension.
static void gemm_partition(void *context, int64_t part, int64_t parts) {
    const gemm_job *job = context;
    int64_t extent = job->splitColumns ? job->N : job->M;
    int64_t unit = job->splitColumns ? job->config->nr : job->config->mr;
    int64_t tiles = (extent + unit - 1) / unit;
    int64_t start = tiles * part / parts * unit, end = tiles * (part + 1) / parts * unit;
    if (end > extent) end = extent;
    if (start >= end) return;
    if (job->splitColumns) {
        gemm_block(job, 0, job->M, start, end);
    } else {
        gemm_block(job, start, end, 0, job->N);
    }
}

void ag_sgemm(bool transposeA, bool transposeB,
              int64_t M, int64_t N, int64_t K,
              const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    bool accumulate = beta != 0.0f;
    if (K <= 0) {
        if (!accumulate) {
            for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
        }
        return;
    }
    double work = (double)M * (double)N * (double)K;
    if (work < AG_GEMM_PACKED_MIN) {
        gemm_small(transposeA, transposeB, M, N, K, A, lda, B, ldb, accumulate, C, ldc);
        return;
    }
    gemm_job job = {
        .config = ag_gemm_config_for(ag_kernel_path_get()),
        .transposeA = transposeA, .transposeB = transposeB, .accumulate = accumulate,
        .M = M, .N = N, .K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .C = C, .ldc = ldc,
    };
    int64_t rowTiles = (M + job.config->mr - 1) / job.config->mr;
    int64_t columnTiles = (N + job.config->nr - 1) / job.config->nr;
    job.splitColumns = columnTiles >= rowTiles;
    int64_t parts = work < AG_GEMM_PARALLEL_MIN ? 1 : ag_get_num_threads();   // one part per thread: measured best (finer parts repack A)
    int64_t tiles = job.splitColumns ? columnTiles : rowTiles;
    if (parts > tiles) parts = tiles;
    if (parts <= 1) {
        gemm_block(&job, 0, M, 0, N);
    } else {
        ag_parallel_for(parts, gemm_partition, &job);
    }
}
