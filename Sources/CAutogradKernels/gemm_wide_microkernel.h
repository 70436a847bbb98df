// The AVX-512 GEMM micro-kernel, written once with the vector extension clang and GCC
// share: a tile of AG_WIDE_MR rows x two vectors of AG_WIDE_LANES elements, its
// 2 * AG_WIDE_MR accumulators in registers for the whole k loop, two loads of B and
// AG_WIDE_MR broadcasts of A per k step feeding 2 * AG_WIDE_MR fused multiply-adds.
// gemm_microkernels.c (float, 12 x 32) and dgemm_microkernels.c (double, 12 x 16) include it
// twice each, after defining
//
//   AG_WIDE_REAL     the element type
//   AG_WIDE_VECTOR   a vector of AG_WIDE_LANES of them (64 bytes), element-aligned
//   AG_WIDE_LANES    its element count
//   AG_WIDE_MR       the tile's rows
//   AG_WIDE_NAME           the kernel on packed A slivers to define
//   AG_WIDE_IN_PLACE_NAME  the kernel reading A's rows in place to define
//   AG_WIDE_ROWS_NAME      the kernel for a tile of fewer rows to define
//   AG_WIDE_TILE_NAME      the inlined body they share
//   AG_WIDE_TARGET         their target attribute
//
// once for AVX-512 (the kernel the AVX-512 path runs: one zmm register per vector) and
// once for AVX2 + FMA (two ymm registers per vector, for the AVX512_ON_AVX2 path that tests
// the blocking on CPUs without AVX-512). The same source, so a check of one is a check of
// the other's arithmetic.

#ifndef AG_WIDE_NAME
#error "define AG_WIDE_REAL, AG_WIDE_VECTOR, AG_WIDE_LANES, AG_WIDE_MR, AG_WIDE_NAME, AG_WIDE_IN_PLACE_NAME, AG_WIDE_ROWS_NAME, AG_WIDE_TILE_NAME and AG_WIDE_TARGET first"
#endif

#ifndef AG_WIDE_PREFETCH_STEPS
/// How many k steps ahead the kernels prefetch their B sliver (two cache lines a step). On
/// a Xeon, one thread: a recurrent step's 32 x 1024 x 256 product 160 -> 167 GFLOP/s, two
/// threads: a 512 x 512 x 512 product with A transposed 261 -> 277; the rest unchanged.
#define AG_WIDE_PREFETCH_STEPS 8
#endif

/// The tile of the first `rows` (≤ AG_WIDE_MR, a constant once inlined) rows: A's row r at
/// step k is a[r * rowStride + k * stepStride], a packed sliver (1, AG_WIDE_MR) or rows read
/// in place (lda, 1); B's step k is at b + k * bStride, a packed sliver (2 * AG_WIDE_LANES)
/// or the rows of a row-major B read in place (its row stride); inlined into one kernel per
/// form and row count.
AG_WIDE_TARGET
static inline __attribute__((always_inline)) void AG_WIDE_TILE_NAME(
    int64_t kc, const AG_WIDE_REAL *a, int64_t rowStride, int64_t stepStride, const AG_WIDE_REAL *b,
    int64_t bStride, AG_WIDE_REAL *c, int64_t ldc, bool accumulate, int rows) {
    // Start fetching the C tile now; its rows are ldc apart and would otherwise miss at the end.
    for (int r = 0; r < rows; r++) {
        __builtin_prefetch(c + r * ldc);
        __builtin_prefetch(c + r * ldc + 2 * AG_WIDE_LANES - 1);
    }
    AG_WIDE_VECTOR low[AG_WIDE_MR], high[AG_WIDE_MR];
    for (int r = 0; r < rows; r++) low[r] = high[r] = (AG_WIDE_VECTOR){0};
    for (int64_t k = 0; k < kc; k++) {
        // The B sliver comes from L2 the first time a block uses it: fetch it a few steps ahead.
        __builtin_prefetch(b + AG_WIDE_PREFETCH_STEPS * bStride);
        __builtin_prefetch(b + AG_WIDE_PREFETCH_STEPS * bStride + AG_WIDE_LANES);
        AG_WIDE_VECTOR b0 = *(const AG_WIDE_VECTOR *)b, b1 = *(const AG_WIDE_VECTOR *)(b + AG_WIDE_LANES);
        const AG_WIDE_REAL *step = a + k * stepStride;
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            AG_WIDE_REAL x = step[r * rowStride];
            low[r] += x * b0;
            high[r] += x * b1;
        }
        b += bStride;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        AG_WIDE_VECTOR *row = (AG_WIDE_VECTOR *)(c + r * ldc);
        AG_WIDE_VECTOR *rowHigh = (AG_WIDE_VECTOR *)(c + r * ldc + AG_WIDE_LANES);
        if (accumulate) {
            low[r] += *row;
            high[r] += *rowHigh;
        }
        *row = low[r];
        *rowHigh = high[r];
    }
}

/// The micro-kernel on a packed A sliver.
AG_WIDE_TARGET
static void AG_WIDE_NAME(int64_t kc, const AG_WIDE_REAL *a, const AG_WIDE_REAL *b, AG_WIDE_REAL *c, int64_t ldc,
                         bool accumulate) {
    AG_WIDE_TILE_NAME(kc, a, 1, AG_WIDE_MR, b, 2 * AG_WIDE_LANES, c, ldc, accumulate, AG_WIDE_MR);
}

/// The micro-kernel on AG_WIDE_MR rows of A read in place.
AG_WIDE_TARGET
static void AG_WIDE_IN_PLACE_NAME(int64_t kc, const AG_WIDE_REAL *a, int64_t lda, const AG_WIDE_REAL *b,
                                  AG_WIDE_REAL *c, int64_t ldc, bool accumulate) {
    AG_WIDE_TILE_NAME(kc, a, lda, 1, b, 2 * AG_WIDE_LANES, c, ldc, accumulate, AG_WIDE_MR);
}

/// The micro-kernel on the first `rows` (1 ... AG_WIDE_MR) rows of a tile, A packed
/// (rowStride 1, stepStride AG_WIDE_MR) or read in place (lda, 1), B packed (bStride
/// 2 * AG_WIDE_LANES) or a row-major B's rows read in place (bStride its row stride): the
/// last rows of a product whose height is not a multiple of AG_WIDE_MR, written straight to
/// C without the arithmetic of the missing rows, and any tile whose B is read in place.
/// Each row count is a kernel of its own.
AG_WIDE_TARGET
static void AG_WIDE_ROWS_NAME(int64_t kc, const AG_WIDE_REAL *a, int64_t rowStride, int64_t stepStride,
                              const AG_WIDE_REAL *b, int64_t bStride, AG_WIDE_REAL *c, int64_t ldc,
                              bool accumulate, int64_t rows) {
    _Static_assert(AG_WIDE_MR == 12, "one case per row count below AG_WIDE_MR");
#define AG_WIDE_ROWS_CASE(n) \
    case n: AG_WIDE_TILE_NAME(kc, a, rowStride, stepStride, b, bStride, c, ldc, accumulate, n); break;
    switch (rows) {
    AG_WIDE_ROWS_CASE(1) AG_WIDE_ROWS_CASE(2) AG_WIDE_ROWS_CASE(3) AG_WIDE_ROWS_CASE(4)
    AG_WIDE_ROWS_CASE(5) AG_WIDE_ROWS_CASE(6) AG_WIDE_ROWS_CASE(7) AG_WIDE_ROWS_CASE(8)
    AG_WIDE_ROWS_CASE(9) AG_WIDE_ROWS_CASE(10) AG_WIDE_ROWS_CASE(11)
    default: AG_WIDE_TILE_NAME(kc, a, rowStride, stepStride, b, bStride, c, ldc, accumulate, AG_WIDE_MR); break;
    }
#undef AG_WIDE_ROWS_CASE
}

#undef AG_WIDE_NAME
#undef AG_WIDE_IN_PLACE_NAME
#undef AG_WIDE_ROWS_NAME
#undef AG_WIDE_TILE_NAME
#undef AG_WIDE_TARGET
