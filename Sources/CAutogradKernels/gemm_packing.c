#include "CAutogradKernels.h"
#include "kernels_internal.h"

// Packing for the GEMM (see gemm_driver.h): copies a block of a strided operand into slivers
// `width` lanes wide, one depth step after another, which is the layout the micro-kernels
// stream. A lane is a row of A or a column of B; the depth is the inner dimension K.
// Lane l at depth k is read from src[l * laneStride + k * depthStride], so one routine
// packs both operands, transposed or not, broadcast (stride 0) or not.
//
// The transposing case (depth contiguous, lanes apart: a row-major A, or a transposed B)
// is the slow one in plain C; the AVX2 path does it with 8 x 8 register transposes. The
// plain C routine is shared with the double-precision GEMM (gemm_pack_portable.h).

#if AG_X86
#include <immintrin.h>
#endif

// MARK: Portable

#define AG_REAL float
#define AG_PACK_PORTABLE ag_pack_portable
#define AG_PACK_ROWS_PORTABLE ag_pack_rows_portable
#include "gemm_pack_portable.h"

// MARK: AVX2

#if AG_X86
/// Transposes the 8 x 8 block held in r[0..<8] in place (row i becomes column i).
AG_TARGET_AVX2
static inline void transpose_8x8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// The transposing copy of one sliver whose width is a multiple of 4: for each group of
/// 8 lanes and block of 8 steps, eight row loads, one register transpose, eight stores; a
/// last group of 4 lanes (width 12, the AVX-512 micro-kernel's A) loads four rows and
/// stores the low half of each transposed row. Lanes at or past `live` read as zero.
AG_TARGET_AVX2
static void transpose_sliver_avx2(int64_t width, const float *src, int64_t laneStride,
                                  int64_t live, int64_t depth, float *dst) {
    for (int64_t g = 0; g < width; g += 8) {
        int64_t groupWidth = width - g < 8 ? width - g : 8;
        int64_t lanes = live - g < groupWidth ? (live - g > 0 ? live - g : 0) : groupWidth;
        const float *first = src + g * laneStride;
        int64_t k = 0;
        for (; k + 8 <= depth; k += 8) {
            __m256 r[8];
            for (int l = 0; l < 8; l++) {
                r[l] = l < lanes ? _mm256_loadu_ps(first + l * laneStride + k) : _mm256_setzero_ps();
            }
            transpose_8x8(r);
            float *d = dst + k * width + g;
            if (groupWidth == 8) {
                for (int kk = 0; kk < 8; kk++) _mm256_storeu_ps(d + kk * width, r[kk]);
            } else {
                for (int kk = 0; kk < 8; kk++) _mm_storeu_ps(d + kk * width, _mm256_castps256_ps128(r[kk]));
            }
        }
        for (; k < depth; k++) {
            for (int64_t l = 0; l < groupWidth; l++) {
                dst[k * width + g + l] = l < lanes ? first[l * laneStride + k] : 0.0f;
            }
        }
    }
}

/// The transposing copy of one 6-lane sliver (the AVX2 micro-kernel's A): the two unused
/// lanes of each transpose are zeros. Every step's 8-float store spills two zeros into the
/// next step, which that step's store then overwrites; the eighth step of a block stores
/// exactly 6 floats, so nothing past the block is touched.
AG_TARGET_AVX2
static void transpose_sliver6_avx2(const float *src, int64_t laneStride,
                                   int64_t live, int64_t depth, float *dst) {
    int64_t k = 0;
    for (; k + 8 <= depth; k += 8) {
        __m256 r[8];
        for (int l = 0; l < 8; l++) {
            r[l] = l < live ? _mm256_loadu_ps(src + l * laneStride + k) : _mm256_setzero_ps();
        }
        transpose_8x8(r);
        float *d = dst + k * 6;
        for (int kk = 0; kk < 7; kk++) _mm256_storeu_ps(d + kk * 6, r[kk]);
        _mm_storeu_ps(d + 42, _mm256_castps256_ps128(r[7]));
        _mm_storel_pi((__m64 *)(d + 46), _mm256_extractf128_ps(r[7], 1));
    }
    for (; k < depth; k++) {
        for (int64_t l = 0; l < 6; l++) dst[k * 6 + l] = l < live ? src[l * laneStride + k] : 0.0f;
    }
}

/// How many steps ahead the straight copies prefetch the source: its steps are usually
/// rows of a matrix, too far apart for the hardware prefetchers to follow.
enum { COPY_PREFETCH_STEPS = 16 };

/// The straight copy of `slivers` full slivers of width 6, 12 or a multiple of 16 (unit
/// lane stride): each step's lanes are one run of the source. A multiple of 16 goes sliver
/// by sliver (a step is one or more whole cache lines). Widths 6 and 12 go step by step
/// across all the slivers, so each source line is read once rather than by each of the
/// slivers it feeds. Width 6 stores 8 floats a step, spilling two into the sliver's next
/// step, which overwrites them; the last step stores 6.
AG_TARGET_AVX2
static void copy_slivers_avx2(int64_t width, const float *src, int64_t depthStride,
                              int64_t slivers, int64_t depth, float *dst) {
    if (width % 16 == 0) {
        for (int64_t s = 0; s < slivers; s++) {
            const float *step = src + s * width;
            float *d = dst + s * width * depth;
            for (int64_t k = 0; k < depth; k++, step += depthStride, d += width) {
                for (int64_t g = 0; g < width; g += 16) {
                    _mm_prefetch((const char *)(step + COPY_PREFETCH_STEPS * depthStride + g), _MM_HINT_T0);
                    _mm256_storeu_ps(d + g, _mm256_loadu_ps(step + g));
                    _mm256_storeu_ps(d + g + 8, _mm256_loadu_ps(step + g + 8));
                }
            }
        }
        return;
    }
    for (int64_t k = 0; k < depth; k++) {
        const float *step = src + k * depthStride;
        float *d = dst + k * width;
        for (int64_t l = 0; l < slivers * width; l += 16) {
            _mm_prefetch((const char *)(step + COPY_PREFETCH_STEPS * depthStride + l), _MM_HINT_T0);
        }
        for (int64_t s = 0; s < slivers; s++, step += width, d += width * depth) {
            if (width == 12) {
                _mm256_storeu_ps(d, _mm256_loadu_ps(step));
                _mm_storeu_ps(d + 8, _mm_loadu_ps(step + 8));
                continue;
            }
            __m128 low = _mm_loadu_ps(step);
            __m128 high = _mm_castpd_ps(_mm_load_sd((const double *)(step + 4)));
            if (k + 1 < depth) {
                _mm256_storeu_ps(d, _mm256_insertf128_ps(_mm256_castps128_ps256(low), high, 1));
            } else {
                _mm_storeu_ps(d, low);
                _mm_storel_pi((__m64 *)(d + 4), high);
            }
        }
    }
}

/// `slivers` full slivers of width 6 or a multiple of 16 with lane stride 0 (rows of A or columns of B
/// broadcast): every lane of step k is src[k * depthStride]. Width 6 stores as in
/// copy_slivers_avx2.
AG_TARGET_AVX2
static void broadcast_slivers_avx2(int64_t width, const float *src, int64_t depthStride,
                                   int64_t slivers, int64_t depth, float *dst) {
    for (int64_t s = 0; s < slivers; s++) {
        float *d = dst + s * width * depth;
        for (int64_t k = 0; k < depth; k++, d += width) {
            __m256 value = _mm256_broadcast_ss(src + k * depthStride);
            if (width != 6) {
                for (int64_t g = 0; g < width; g += 8) _mm256_storeu_ps(d + g, value);
            } else if (k + 1 < depth) {
                _mm256_storeu_ps(d, value);
            } else {
                _mm_storeu_ps(d, _mm256_castps256_ps128(value));
                _mm_storel_pi((__m64 *)(d + 4), _mm256_castps256_ps128(value));
            }
        }
    }
}

void ag_pack_avx2(int64_t width, const float *src, int64_t laneStride, int64_t depthStride,
                  int64_t lanes, int64_t depth, float *dst) {
    bool transposing = depthStride == 1 && laneStride != 0 && laneStride != 1 && (width == 6 || width % 4 == 0);
    bool straight = (laneStride == 1 && (width == 6 || width == 12 || width % 16 == 0)) ||
                    (laneStride == 0 && (width == 6 || width % 16 == 0));
    if (!transposing && !straight) {
        ag_pack_portable(width, src, laneStride, depthStride, lanes, depth, dst);
        return;
    }
    if (straight) {
        int64_t full = lanes / width;
        if (laneStride == 1) {
            copy_slivers_avx2(width, src, depthStride, full, depth, dst);
        } else {
            broadcast_slivers_avx2(width, src, depthStride, full, depth, dst);
        }
        if (lanes > full * width) {
            ag_pack_portable(width, src + full * width * laneStride, laneStride, depthStride, lanes - full * width,
                             depth, dst + full * width * depth);
        }
        return;
    }
    for (int64_t s = 0; s < lanes; s += width, dst += width * depth, src += width * laneStride) {
        int64_t live = lanes - s < width ? lanes - s : width;
        if (width == 6) {
            transpose_sliver6_avx2(src, laneStride, live, depth, dst);
        } else {
            transpose_sliver_avx2(width, src, laneStride, live, depth, dst);
        }
    }
}

AG_TARGET_AVX2
void ag_pack_rows_avx2(int64_t width, const float *src, const int64_t *depthOffsets,
                       int64_t lanes, int64_t depth, float *dst) {
    if (width % 16 != 0) {
        ag_pack_rows_portable(width, src, depthOffsets, lanes, depth, dst);
        return;
    }
    for (int64_t s = 0; s < lanes; s += width) {
        float *d = dst + s * depth;
        if (lanes - s >= width) {
            for (int64_t k = 0; k < depth; k++, d += width) {
                const float *step = src + depthOffsets[k] + s;
                for (int64_t g = 0; g < width; g += 16) {
                    _mm256_storeu_ps(d + g, _mm256_loadu_ps(step + g));
                    _mm256_storeu_ps(d + g + 8, _mm256_loadu_ps(step + g + 8));
                }
            }
            continue;
        }
        // The last sliver: masked loads read only its live lanes (none past the source's
        // end) and give zeros for the rest.
        __m256i masks[AG_GEMM_MAX_TILE / 8];   // one per 8 lanes of the sliver
        const __m256i firstLanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for (int64_t g = 0; g < width; g += 8) {
            __m256i lane = _mm256_add_epi32(_mm256_set1_epi32((int32_t)(s + g)), firstLanes);
            masks[g / 8] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)lanes), lane);
        }
        for (int64_t k = 0; k < depth; k++, d += width) {
            const float *step = src + depthOffsets[k] + s;
            for (int64_t g = 0; g < width; g += 8) {
                _mm256_storeu_ps(d + g, _mm256_maskload_ps(step + g, masks[g / 8]));
            }
        }
    }
}
#endif
