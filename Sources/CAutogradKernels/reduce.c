#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <stdlib.h>

#if AG_X86
#include <immintrin.h>
#endif

// Reductions over contiguous floats. A single running sum is one long dependency chain
// (one add per 3-4 cycles); these keep many independent partial sums in vector registers
// instead, accumulating in double precision so the result does not depend on the order.
// Long sums are split into fixed blocks summed on the kernel threads.

typedef double ag_double2 __attribute__((vector_size(16)));
typedef float ag_float2 __attribute__((vector_size(8), aligned(4)));

/// Portable: four 2-wide double accumulators, through the clang/GCC vector extension.
static double sum_portable(const float *x, int64_t n) {
    ag_double2 s0 = {0, 0}, s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += __builtin_convertvector(*(const ag_float2 *)(x + i), ag_double2);
        s1 += __builtin_convertvector(*(const ag_float2 *)(x + i + 2), ag_double2);
        s2 += __builtin_convertvector(*(const ag_float2 *)(x + i + 4), ag_double2);
        s3 += __builtin_convertvector(*(const ag_float2 *)(x + i + 6), ag_double2);
    }
    ag_double2 s = (s0 + s1) + (s2 + s3);
    double total = s[0] + s[1];
    for (; i < n; i++) total += x[i];
    return total;
}

#if AG_X86
/// AVX2: four 4-wide double accumulators, 16 floats per step.
AG_TARGET_AVX2
static double sum_avx2(const float *x, int64_t n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    __m256d s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
        s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)));
        s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12)));
    }
    __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
    __m128d half = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    double total = _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
    for (; i < n; i++) total += x[i];
    return total;
}
#endif

#if AG_X86
typedef double ag_double8 __attribute__((vector_size(64)));
typedef float ag_float8 __attribute__((vector_size(32), aligned(4)));

/// AVX-512: four 8-wide double accumulators, 32 floats per step, through the vector
/// extension. Defined twice: for AVX-512 and, for AG_KERNEL_PATH_AVX512_ON_AVX2, for AVX2.
#define AG_DEFINE_WIDE_SUM(NAME, TARGET)                                                     \
    TARGET static double NAME(const float *x, int64_t n) {                                   \
        ag_double8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                   \
        int64_t i = 0;                                                                       \
        for (; i + 32 <= n; i += 32) {                                                       \
            s0 += __builtin_convertvector(*(const ag_float8 *)(x + i), ag_double8);          \
            s1 += __builtin_convertvector(*(const ag_float8 *)(x + i + 8), ag_double8);      \
            s2 += __builtin_convertvector(*(const ag_float8 *)(x + i + 16), ag_double8);     \
            s3 += __builtin_convertvector(*(const ag_float8 *)(x + i + 24), ag_double8);     \
        }                                                                                    \
        ag_double8 s = (s0 + s1) + (s2 + s3);                                                \
        double total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));    \
        for (; i < n; i++) total += x[i];                                                    \
        return total;                                                                        \
    }
AG_DEFINE_WIDE_SUM(sum_avx512, AG_TARGET_AVX512)
AG_DEFINE_WIDE_SUM(sum_avx512_on_avx2, AG_TARGET_AVX2)
#undef AG_DEFINE_WIDE_SUM
#endif

/// The sum on the kernel path in use, on the calling thread.
static double sum_on_path(const float *x, int64_t n) {
    int32_t path = ag_kernel_path_get();
    return AG_ON_KERNEL_PATH(path, sum, (x, n));
}

/// Elements per block of a long sum: blocks are summed on the threads, then their sums in
/// order, so the result does not depend on the number of threads.
#define AG_SUM_BLOCK (1 << 15)
/// From this many elements a sum is split into blocks (below, one pass on the caller).
#define AG_SUM_PARALLEL_MIN (1 << 17)

typedef struct {
    const float *x;
    int64_t n;
    double *blockSums;
} sum_job;

static void sum_block(void *context, int64_t block, int64_t blocks) {
    (void)blocks;
    const sum_job *job = context;
    int64_t start = block * AG_SUM_BLOCK;
    int64_t count = job->n - start < AG_SUM_BLOCK ? job->n - start : AG_SUM_BLOCK;
    job->blockSums[block] = sum_on_path(job->x + start, count);
}

double ag_sum(const float *x, int64_t n) {
    if (n < AG_SUM_PARALLEL_MIN) return sum_on_path(x, n);
    int64_t blocks = (n + AG_SUM_BLOCK - 1) / AG_SUM_BLOCK;
    double onStack[256];
    double *blockSums = blocks <= 256 ? onStack : malloc((size_t)blocks * sizeof(double));
    if (blockSums == NULL) return sum_on_path(x, n);
    sum_job job = {.x = x, .n = n, .blockSums = blockSums};
    ag_parallel_for(blocks, sum_block, &job);
    double total = 0;
    for (int64_t b = 0; b < blocks; b++) total += blockSums[b];
    if (blockSums != onStack) free(blockSums);
    return total;
}
