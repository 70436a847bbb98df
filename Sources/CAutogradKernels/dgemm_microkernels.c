#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <pthread.h>
#include <stdlib.h>

// The double-precision GEMM micro-kernels, one per kernel path, and their block sizes
// (the float ones are in gemm_microkernels.c). Each computes one mr x nr tile of C from
// packed slivers of A and B (see dgemm_packing.c); the tile stays in registers for the
// whole k loop.

#if AG_X86
#include <immintrin.h>
#endif

// MARK: Portable

enum { PORTABLE_MR = 4, PORTABLE_NR = 4 };

/// Two doubles in one register of the baseline target (SSE2 on x86-64, NEON on arm64),
/// through the vector extension clang and GCC share, so no intrinsics are needed.
typedef double ag_double2 __attribute__((vector_size(16), aligned(8)));

/// The portable micro-kernel, 4 x 4: eight 2-wide accumulators (4 rows x 2 vectors), two
/// loads of B and four broadcasts of A per k step, the same register use as the float
/// kernel's 4 x 8.
static void dmicrokernel_portable(int64_t kc, const double *a, const double *b,
                                  double *c, int64_t ldc, bool accumulate) {
    ag_double2 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0};
    ag_double2 c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int64_t k = 0; k < kc; k++) {
        ag_double2 b0 = *(const ag_double2 *)b, b1 = *(const ag_double2 *)(b + 2);
        c00 += a[0] * b0; c01 += a[0] * b1;
        c10 += a[1] * b0; c11 += a[1] * b1;
        c20 += a[2] * b0; c21 += a[2] * b1;
        c30 += a[3] * b0; c31 += a[3] * b1;
        a += PORTABLE_MR;
        b += PORTABLE_NR;
    }
    ag_double2 *rows[PORTABLE_MR][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21}, {&c30, &c31}};
    for (int i = 0; i < PORTABLE_MR; i++) {
        ag_double2 *row = (ag_double2 *)(c + i * ldc);
        if (accumulate) {
            row[0] += *rows[i][0];
            row[1] += *rows[i][1];
        } else {
            row[0] = *rows[i][0];
            row[1] = *rows[i][1];
        }
    }
}

// The A block (128 x 256 doubles, 256 KB) sits in L2, the 4 x 4 slivers in L1.
static const ag_dgemm_config portable_config = {
    .mr = PORTABLE_MR, .nr = PORTABLE_NR, .mc = 128, .kc = 256, .nc = 2048,
    .kernel = dmicrokernel_portable, .pack = ag_dpack_portable, .packRows = ag_dpack_rows_portable,
};

// MARK: AVX2 + FMA

#if AG_X86
enum { AVX2_MR = 6, AVX2_NR = 8 };

/// The AVX2 + FMA micro-kernel, 6 x 8: twelve 4-wide accumulators (6 rows x 2 vectors),
/// two loads of B and six broadcasts of A per k step feeding 12 FMAs, the shape BLIS
/// uses for doubles on Haswell and Zen.
AG_TARGET_AVX2
static void dmicrokernel_avx2(int64_t kc, const double *a, const double *b,
                              double *c, int64_t ldc, bool accumulate) {
    // Start fetching the C tile now (a row is one 64-byte line, or two when unaligned);
    // its rows are ldc apart and would otherwise miss at the end.
    for (int r = 0; r < AVX2_MR; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 7), _MM_HINT_T0);
    }
    __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
    __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
    __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
    __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
    __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
    __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
    for (int64_t k = 0; k < kc; k++) {
        __m256d b0 = _mm256_load_pd(b), b1 = _mm256_load_pd(b + 4);
        __m256d ai;
        ai = _mm256_broadcast_sd(a + 0); c00 = _mm256_fmadd_pd(ai, b0, c00); c01 = _mm256_fmadd_pd(ai, b1, c01);
        ai = _mm256_broadcast_sd(a + 1); c10 = _mm256_fmadd_pd(ai, b0, c10); c11 = _mm256_fmadd_pd(ai, b1, c11);
        ai = _mm256_broadcast_sd(a + 2); c20 = _mm256_fmadd_pd(ai, b0, c20); c21 = _mm256_fmadd_pd(ai, b1, c21);
        ai = _mm256_broadcast_sd(a + 3); c30 = _mm256_fmadd_pd(ai, b0, c30); c31 = _mm256_fmadd_pd(ai, b1, c31);
        ai = _mm256_broadcast_sd(a + 4); c40 = _mm256_fmadd_pd(ai, b0, c40); c41 = _mm256_fmadd_pd(ai, b1, c41);
        ai = _mm256_broadcast_sd(a + 5); c50 = _mm256_fmadd_pd(ai, b0, c50); c51 = _mm256_fmadd_pd(ai, b1, c51);
        a += AVX2_MR;
        b += AVX2_NR;
    }
#define AG_STORE_ROW(r, lo, hi)                                                              \
    do {                                                                                     \
        double *row = c + (r) * ldc;                                                         \
        if (accumulate) {                                                                    \
            lo = _mm256_add_pd(lo, _mm256_loadu_pd(row));                                    \
            hi = _mm256_add_pd(hi, _mm256_loadu_pd(row + 4));                                \
        }                                                                                    \
        _mm256_storeu_pd(row, lo);                                                           \
        _mm256_storeu_pd(row + 4, hi);                                                       \
    } while (0)
    AG_STORE_ROW(0, c00, c01); AG_STORE_ROW(1, c10, c11); AG_STORE_ROW(2, c20, c21);
    AG_STORE_ROW(3, c30, c31); AG_STORE_ROW(4, c40, c41); AG_STORE_ROW(5, c50, c51);
#undef AG_STORE_ROW
}

// Zen 3 / Haswell-class caches: the 6 x 256 A sliver (12 KB) and 256 x 8 B sliver (16 KB)
// fit L1, the 72 x 256 A block (144 KB) sits in L2 beside the B slivers streaming
// through, the B block (256 x 3072, 6 MB) in L3.
static const ag_dgemm_config avx2_config = {
    .mr = AVX2_MR, .nr = AVX2_NR, .mc = 72, .kc = 256, .nc = 3072,
    .kernel = dmicrokernel_avx2, .pack = ag_dpack_avx2, .packRows = ag_dpack_rows_portable,
};
#endif

// MARK: AVX-512

#if AG_X86
enum { AVX512_MR = 12, AVX512_NR = 16 };

/// Eight doubles (one zmm register), element-aligned.
typedef double ag_double8 __attribute__((vector_size(64), aligned(8)));

#define AG_WIDE_REAL double
#define AG_WIDE_VECTOR ag_double8
#define AG_WIDE_LANES 8
#define AG_WIDE_MR AVX512_MR
#define AG_WIDE_NAME dmicrokernel_avx512
#define AG_WIDE_IN_PLACE_NAME dmicrokernel_in_place_avx512
#define AG_WIDE_ROWS_NAME dmicrokernel_rows_avx512
#define AG_WIDE_TILE_NAME dtile_avx512
#define AG_WIDE_TARGET AG_TARGET_AVX512
#include "gemm_wide_microkernel.h"
#define AG_WIDE_NAME dmicrokernel_avx512_on_avx2
#define AG_WIDE_IN_PLACE_NAME dmicrokernel_in_place_avx512_on_avx2
#define AG_WIDE_ROWS_NAME dmicrokernel_rows_avx512_on_avx2
#define AG_WIDE_TILE_NAME dtile_avx512_on_avx2
#define AG_WIDE_TARGET AG_TARGET_AVX2
#include "gemm_wide_microkernel.h"
#undef AG_WIDE_REAL
#undef AG_WIDE_VECTOR
#undef AG_WIDE_LANES
#undef AG_WIDE_MR

// 12 x 16: 24 zmm accumulators as the float kernel's. The 12 x 256 A sliver (24 KB) and
// 256 x 16 B sliver (32 KB) stream through L1 and L2, the 192 x 256 A block (384 KB) sits
// in L2, the B block in L3. A sweep of mc 48-192 and kc 192-384 on a 16-core Xeon (2 MB
// L2) put this first, though the better settings differed by less than run-to-run noise.
/// Not const: AUTOGRAD_AVX512_DGEMM_BLOCKS may retune its cache blocks (apply_block_override).
static ag_dgemm_config avx512_config = {
    .mr = AVX512_MR, .nr = AVX512_NR, .mc = 192, .kc = 256, .nc = 3072,
    .kernel = dmicrokernel_avx512, .kernelInPlace = dmicrokernel_in_place_avx512,
    .kernelRows = dmicrokernel_rows_avx512, .pack = ag_dpack_avx2, .packRows = ag_dpack_rows_portable,
};

/// avx512_config with the kernel compiled for AVX2 (AG_KERNEL_PATH_AVX512_ON_AVX2).
static const ag_dgemm_config avx512_on_avx2_config = {
    .mr = AVX512_MR, .nr = AVX512_NR, .mc = 192, .kc = 256, .nc = 3072,
    .kernel = dmicrokernel_avx512_on_avx2, .kernelInPlace = dmicrokernel_in_place_avx512_on_avx2,
    .kernelRows = dmicrokernel_rows_avx512_on_avx2,
    .pack = ag_dpack_avx2, .packRows = ag_dpack_rows_portable,
};
#endif

#if AG_X86
static pthread_once_t block_override_once = PTHREAD_ONCE_INIT;

/// Applies AUTOGRAD_AVX512_DGEMM_BLOCKS ("mc,kc,nc", see ag_parse_gemm_blocks) to the AVX-512 path.
static void apply_block_override(void) {
    ag_parse_gemm_blocks(getenv("AUTOGRAD_AVX512_DGEMM_BLOCKS"), avx512_config.mr, avx512_config.nr,
                         &avx512_config.mc, &avx512_config.kc, &avx512_config.nc);
}
#endif

const ag_dgemm_config *ag_dgemm_config_for(int32_t path) {
#if AG_X86
    pthread_once(&block_override_once, apply_block_override);
    switch (path) {
    case AG_KERNEL_PATH_AVX2: return &avx2_config;
    case AG_KERNEL_PATH_AVX512: return &avx512_config;
    case AG_KERNEL_PATH_AVX512_ON_AVX2: return &avx512_on_avx2_config;
    default: break;
    }
#endif
    (void)path;
    return &portable_config;
}
