#include "CAutogradKernels.h"
#include "kernels_internal.h"

// Packing for the double-precision GEMM: the layout and routines of gemm_packing.c, for
// doubles. The portable routine is the float one's template instantiated for double; the
// AVX2 path adds the transposing copy (unit depth stride: a row-major A or a transposed B)
// by 4 x 4 register transposes, the case plain C does slowly. Straight copies (unit lane
// stride) and broadcasts are plain runs of 4 to 8 doubles, which the portable routine
// already moves with vector loads and stores.

#if AG_X86
#include <immintrin.h>
#endif

// MARK: Portable

#define AG_REAL double
#define AG_PACK_PORTABLE ag_dpack_portable
#define AG_PACK_ROWS_PORTABLE ag_dpack_rows_portable
#include "gemm_pack_portable.h"

// MARK: AVX2

#if AG_X86
/// Transposes the 4 x 4 block held in r[0..<4] in place (row i becomes column i).
AG_TARGET_AVX2
static inline void transpose_4x4(__m256d r[4]) {
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/// The transposing copy of one sliver of even width (6 for A, 8 for B): for each group of
/// 4 lanes and block of 4 steps, four row loads, one register transpose, four stores. A
/// group of only 2 lanes (the last of width 6) stores the low halves, so no store reaches
/// past its step. Lanes at or past `live` read as zero.
AG_TARGET_AVX2
static void transpose_sliver_avx2(int64_t width, const double *src, int64_t laneStride,
                                  int64_t live, int64_t depth, double *dst) {
    for (int64_t g = 0; g < width; g += 4) {
        int64_t groupWidth = width - g < 4 ? width - g : 4;
        int64_t lanes = live - g < groupWidth ? (live - g > 0 ? live - g : 0) : groupWidth;
        const double *first = src + g * laneStride;
        int64_t k = 0;
        for (; k + 4 <= depth; k += 4) {
            __m256d r[4];
            for (int l = 0; l < 4; l++) {
                r[l] = l < lanes ? _mm256_loadu_pd(first + l * laneStride + k) : _mm256_setzero_pd();
            }
            transpose_4x4(r);
            double *d = dst + k * width + g;
            if (groupWidth == 4) {
                for (int kk = 0; kk < 4; kk++) _mm256_storeu_pd(d + kk * width, r[kk]);
            } else {
                for (int kk = 0; kk < 4; kk++) _mm_storeu_pd(d + kk * width, _mm256_castpd256_pd128(r[kk]));
            }
        }
        for (; k < depth; k++) {
            for (int64_t l = 0; l < groupWidth; l++) dst[k * width + g + l] = l < lanes ? first[l * laneStride + k] : 0.0;
        }
    }
}

void ag_dpack_avx2(int64_t width, const double *src, int64_t laneStride, int64_t depthStride,
                   int64_t lanes, int64_t depth, double *dst) {
    bool transposing = depthStride == 1 && laneStride != 0 && laneStride != 1 && width % 2 == 0;
    if (!transposing) {
        ag_dpack_portable(width, src, laneStride, depthStride, lanes, depth, dst);
        return;
    }
    for (int64_t s = 0; s < lanes; s += width, dst += width * depth, src += width * laneStride) {
        int64_t live = lanes - s < width ? lanes - s : width;
        transpose_sliver_avx2(width, src, laneStride, live, depth, dst);
    }
}
#endif
