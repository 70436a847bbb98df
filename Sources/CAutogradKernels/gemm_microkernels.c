#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <pthread.h>
#include <stdlib.h>

// The GEMM micro-kernels, one per kernel path, and their block sizes. Each computes one
// mr x nr tile of C from packed slivers of A and B (see gemm_packing.c); the
// tile stays in registers for the whole k loop.

#if AG_X86
#include <immintrin.h>
#endif

// MARK: Portable

enum { PORTABLE_MR = 4, PORTABLE_NR = 8 };

/// Four floats in one register of the baseline target (SSE2 on x86-64, NEON on arm64),
/// through the vector extension clang and GCC share, so no intrinsics are needed.
typedef float ag_float4 __attribute__((vector_size(16), aligned(4)));

/// The portable micro-kernel, 4 x 8: eight 4-wide accumulators (4 rows x 2 vectors), two
/// loads of B and four broadcasts of A per k step.
static void microkernel_portable(int64_t kc, const float *a, const float *b,
                                 float *c, int64_t ldc, bool accumulate) {
    ag_float4 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0};
    ag_float4 c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int64_t k = 0; k < kc; k++) {
        ag_float4 b0 = *(const ag_float4 *)b, b1 = *(const ag_float4 *)(b + 4);
        c00 += a[0] * b0; c01 += a[0] * b1;
        c10 += a[1] * b0; c11 += a[1] * b1;
        c20 += a[2] * b0; c21 += a[2] * b1;
        c30 += a[3] * b0; c31 += a[3] * b1;
        a += PORTABLE_MR;
        b += PORTABLE_NR;
    }
    ag_float4 *rows[PORTABLE_MR][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21}, {&c30, &c31}};
    for (int i = 0; i < PORTABLE_MR; i++) {
        ag_float4 *row = (ag_float4 *)(c + i * ldc);
        if (accumulate) {
            row[0] += *rows[i][0];
            row[1] += *rows[i][1];
        } else {
            row[0] = *rows[i][0];
            row[1] = *rows[i][1];
        }
    }
}

static const ag_gemm_config portable_config = {
    .mr = PORTABLE_MR, .nr = PORTABLE_NR, .mc = 128, .kc = 256, .nc = 2048,
    .kernel = microkernel_portable, .pack = ag_pack_portable, .packRows = ag_pack_rows_portable,
};

// MARK: AVX2 + FMA

#if AG_X86
enum { AVX2_MR = 6, AVX2_NR = 16 };

/// The AVX2 + FMA micro-kernel, 6 x 16: twelve 8-wide accumulators (6 rows x 2 vectors),
/// two loads of B and six broadcasts of A per k step feeding 12 FMAs, the shape BLIS
/// uses on Haswell and Zen. A's row r at step k is a[r * rowStride + k * stepStride]: a
/// packed sliver (1, 6) or rows read in place (lda, 1); inlined into one kernel per form.
AG_TARGET_AVX2
static inline __attribute__((always_inline)) void tile_avx2(int64_t kc, const float *a, int64_t rowStride,
                                                            int64_t stepStride, const float *b, float *c,
                                                            int64_t ldc, bool accumulate) {
    // Start fetching the C tile now; its rows are ldc apart and would otherwise miss at the end.
    for (int r = 0; r < AVX2_MR; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 15), _MM_HINT_T0);
    }
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    const float *a0 = a, *a1 = a + rowStride, *a2 = a + 2 * rowStride;
    const float *a3 = a + 3 * rowStride, *a4 = a + 4 * rowStride, *a5 = a + 5 * rowStride;
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        int64_t at = k * stepStride;
        __m256 ai;
        ai = _mm256_broadcast_ss(a0 + at); c00 = _mm256_fmadd_ps(ai, b0, c00); c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a1 + at); c10 = _mm256_fmadd_ps(ai, b0, c10); c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a2 + at); c20 = _mm256_fmadd_ps(ai, b0, c20); c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a3 + at); c30 = _mm256_fmadd_ps(ai, b0, c30); c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a4 + at); c40 = _mm256_fmadd_ps(ai, b0, c40); c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a5 + at); c50 = _mm256_fmadd_ps(ai, b0, c50); c51 = _mm256_fmadd_ps(ai, b1, c51);
        b += AVX2_NR;
    }
#define AG_STORE_ROW(r, lo, hi)                                                              \
    do {                                                                                     \
        float *row = c + (r) * ldc;                                                          \
        if (accumulate) {                                                                    \
            lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));                                    \
            hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));                                \
        }                                                                                    \
        _mm256_storeu_ps(row, lo);                                                           \
        _mm256_storeu_ps(row + 8, hi);                                                       \
    } while (0)
    AG_STORE_ROW(0, c00, c01); AG_STORE_ROW(1, c10, c11); AG_STORE_ROW(2, c20, c21);
    AG_STORE_ROW(3, c30, c31); AG_STORE_ROW(4, c40, c41); AG_STORE_ROW(5, c50, c51);
#undef AG_STORE_ROW
}

/// The AVX2 micro-kernel on a packed A sliver.
AG_TARGET_AVX2
static void microkernel_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, bool accumulate) {
    tile_avx2(kc, a, 1, AVX2_MR, b, c, ldc, accumulate);
}

/// The AVX2 micro-kernel on six rows of A read in place.
AG_TARGET_AVX2
static void microkernel_in_place_avx2(int64_t kc, const float *a, int64_t lda, const float *b, float *c,
                                      int64_t ldc, bool accumulate) {
    tile_avx2(kc, a, lda, 1, b, c, ldc, accumulate);
}

// Zen 3 / Haswell-class caches: the 6 x 256 A sliver and 256 x 16 B sliver (22 KB) fit
// L1, the 72 x 256 A block (72 KB) sits in L2 beside the B slivers streaming through,
// the B block in L3. (mc = 72 measured faster than BLIS's 144 on the 2-core Zen 3 VM.)
static const ag_gemm_config avx2_config = {
    .mr = AVX2_MR, .nr = AVX2_NR, .mc = 72, .kc = 256, .nc = 3072,
    .kernel = microkernel_avx2, .kernelInPlace = microkernel_in_place_avx2,
    .pack = ag_pack_avx2, .packRows = ag_pack_rows_avx2,
};
#endif

// MARK: AVX-512

#if AG_X86
enum { AVX512_MR = 12, AVX512_NR = 32 };

/// Sixteen floats (one zmm register), element-aligned.
typedef float ag_float16 __attribute__((vector_size(64), aligned(4)));

#define AG_WIDE_REAL float
#define AG_WIDE_VECTOR ag_float16
#define AG_WIDE_LANES 16
#define AG_WIDE_MR AVX512_MR
#define AG_WIDE_NAME microkernel_avx512
#define AG_WIDE_IN_PLACE_NAME microkernel_in_place_avx512
#define AG_WIDE_ROWS_NAME microkernel_rows_avx512
#define AG_WIDE_TILE_NAME tile_avx512
#define AG_WIDE_TARGET AG_TARGET_AVX512
#include "gemm_wide_microkernel.h"
#define AG_WIDE_NAME microkernel_avx512_on_avx2
#define AG_WIDE_IN_PLACE_NAME microkernel_in_place_avx512_on_avx2
#define AG_WIDE_ROWS_NAME microkernel_rows_avx512_on_avx2
#define AG_WIDE_TILE_NAME tile_avx512_on_avx2
#define AG_WIDE_TARGET AG_TARGET_AVX2
#include "gemm_wide_microkernel.h"
#undef AG_WIDE_REAL
#undef AG_WIDE_VECTOR
#undef AG_WIDE_LANES
#undef AG_WIDE_MR

// 12 x 32: 24 zmm accumulators, two B vectors and a broadcast, 27 of the 32 registers
// (the shape OpenBLAS and BLIS use on Skylake-SP, transposed for row-major C). kc = 384 as
// BLIS's Skylake-X sgemm: the 12 x 384 A sliver (18 KB) and 384 x 32 B sliver (48 KB)
// stream through L1 and L2, the 144 x 384 A block (216 KB) sits in L2 (1-2 MB), the B
// block in L3. A sweep of mc 96-240 and kc 192-384 on a 16-core Xeon (2 MB L2) put this
// first, though the better settings differed by less than run-to-run noise.
/// Not const: AUTOGRAD_AVX512_SGEMM_BLOCKS may retune its cache blocks (apply_block_override).
static ag_gemm_config avx512_config = {
    .mr = AVX512_MR, .nr = AVX512_NR, .mc = 144, .kc = 384, .nc = 3072,
    .kernel = microkernel_avx512, .kernelInPlace = microkernel_in_place_avx512,
    .kernelRows = microkernel_rows_avx512, .pack = ag_pack_avx2, .packRows = ag_pack_rows_avx2,
};

/// avx512_config with the kernel compiled for AVX2 (AG_KERNEL_PATH_AVX512_ON_AVX2).
static const ag_gemm_config avx512_on_avx2_config = {
    .mr = AVX512_MR, .nr = AVX512_NR, .mc = 144, .kc = 384, .nc = 3072,
    .kernel = microkernel_avx512_on_avx2, .kernelInPlace = microkernel_in_place_avx512_on_avx2,
    .kernelRows = microkernel_rows_avx512_on_avx2,
    .pack = ag_pack_avx2, .packRows = ag_pack_rows_avx2,
};
#endif

#if AG_X86
static pthread_once_t block_override_once = PTHREAD_ONCE_INIT;

/// Applies AUTOGRAD_AVX512_SGEMM_BLOCKS ("mc,kc,nc", see ag_parse_gemm_blocks) to the AVX-512 path.
static void apply_block_override(void) {
    ag_parse_gemm_blocks(getenv("AUTOGRAD_AVX512_SGEMM_BLOCKS"), avx512_config.mr, avx512_config.nr,
                         &avx512_config.mc, &avx512_config.kc, &avx512_config.nc);
}
#endif

const ag_gemm_config *ag_gemm_config_for(int32_t path) {
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

int64_t ag_sgemm_sliver_columns(void) { return ag_gemm_config_for(ag_kernel_path_get())->nr; }
