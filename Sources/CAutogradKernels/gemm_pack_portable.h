// The portable packing routine (see gemm_packing.c), written once for every element type:
// gemm_packing.c instantiates it for float (ag_pack_portable) and dgemm_packing.c for
// double (ag_dpack_portable). Include it in a .c file after defining
//
//   AG_REAL            the element type
//   AG_PACK_PORTABLE        the name of the packing routine to define
//   AG_PACK_ROWS_PORTABLE   the name of the offset-rows packing routine to define
//
// Everything else here is static, so each instantiation lives in its own translation unit.

#ifndef AG_REAL
#error "define AG_REAL and AG_PACK_PORTABLE before including gemm_pack_portable.h"
#endif

#include "kernels_internal.h"

/// Copies `count` elements; `count` is the register block (32, 16, 12, 8, 6 or 4), so the
/// common sizes become straight-line vector moves instead of a call to memcpy.
static inline void copy_lanes(AG_REAL *restrict dst, const AG_REAL *restrict src, int64_t count) {
    switch (count) {
    case 32: for (int j = 0; j < 32; j++) dst[j] = src[j]; break;
    case 16: for (int j = 0; j < 16; j++) dst[j] = src[j]; break;
    case 12: for (int j = 0; j < 12; j++) dst[j] = src[j]; break;
    case 8: for (int j = 0; j < 8; j++) dst[j] = src[j]; break;
    case 6: for (int j = 0; j < 6; j++) dst[j] = src[j]; break;
    case 4: for (int j = 0; j < 4; j++) dst[j] = src[j]; break;
    default: for (int64_t j = 0; j < count; j++) dst[j] = src[j]; break;
    }
}

/// Zeroes lanes [live, width) of every depth step of one sliver.
static void zero_lanes(AG_REAL *dst, int64_t width, int64_t live, int64_t depth) {
    if (live >= width) return;
    for (int64_t k = 0; k < depth; k++) {
        for (int64_t l = live; l < width; l++) dst[k * width + l] = 0;
    }
}

/// Unit lane stride: each depth step is a contiguous run of lanes. Eight slivers at a time,
/// step by step, so each step of the source is read as one run of 8 * width elements (steps
/// are often in different pages) while the eight destinations are written sequentially.
static void pack_contiguous_lanes(int64_t width, const AG_REAL *src, int64_t depthStride,
                                  int64_t lanes, int64_t depth, AG_REAL *dst) {
    const int64_t group = 8 * width;
    for (int64_t q0 = 0; q0 < lanes; q0 += group) {
        int64_t q1 = q0 + group < lanes ? q0 + group : lanes;
        for (int64_t k = 0; k < depth; k++) {
            const AG_REAL *step = src + k * depthStride;
            for (int64_t q = q0; q < q1; q += width) {
                AG_REAL *d = dst + q * depth + k * width;
                int64_t live = q1 - q < width ? q1 - q : width;
                if (live == width) {
                    copy_lanes(d, step + q, width);
                } else {
                    for (int64_t l = 0; l < live; l++) d[l] = step[q + l];
                    for (int64_t l = live; l < width; l++) d[l] = 0;
                }
            }
        }
    }
}

/// Unit depth stride, one sliver of `live` lanes: the transposing copy. Works in blocks of
/// 8 steps so each lane is read in cache-line-sized runs while the destination stays in L1.
static void gather_sliver(int64_t width, const AG_REAL *restrict src, int64_t laneStride,
                          int64_t live, int64_t depth, AG_REAL *restrict dst) {
    int64_t k = 0;
    for (; k + 8 <= depth; k += 8) {
        for (int64_t l = 0; l < live; l++) {
            const AG_REAL *lane = src + l * laneStride + k;
            AG_REAL *d = dst + k * width + l;
            for (int kk = 0; kk < 8; kk++) d[kk * width] = lane[kk];
        }
    }
    for (; k < depth; k++) {
        for (int64_t l = 0; l < live; l++) dst[k * width + l] = src[l * laneStride + k];
    }
    zero_lanes(dst, width, live, depth);
}

/// Any other strides, one sliver: lane stride 0 (rows of A or columns of B broadcast)
/// fills each step with one value; the rest is a plain gather.
static void strided_sliver(int64_t width, const AG_REAL *src, int64_t laneStride, int64_t depthStride,
                           int64_t live, int64_t depth, AG_REAL *dst) {
    for (int64_t k = 0; k < depth; k++) {
        const AG_REAL *step = src + k * depthStride;
        AG_REAL *d = dst + k * width;
        if (laneStride == 0) {
            AG_REAL value = step[0];
            for (int64_t l = 0; l < live; l++) d[l] = value;
        } else {
            for (int64_t l = 0; l < live; l++) d[l] = step[l * laneStride];
        }
    }
    zero_lanes(dst, width, live, depth);
}

void AG_PACK_PORTABLE(int64_t width, const AG_REAL *src, int64_t laneStride, int64_t depthStride,
                      int64_t lanes, int64_t depth, AG_REAL *dst) {
    if (laneStride == 1) {
        pack_contiguous_lanes(width, src, depthStride, lanes, depth, dst);
        return;
    }
    for (int64_t s = 0; s < lanes; s += width, dst += width * depth, src += width * laneStride) {
        int64_t live = lanes - s < width ? lanes - s : width;
        if (depthStride == 1 && laneStride != 0) {
            gather_sliver(width, src, laneStride, live, depth, dst);
        } else {
            strided_sliver(width, src, laneStride, depthStride, live, depth, dst);
        }
    }
}

void AG_PACK_ROWS_PORTABLE(int64_t width, const AG_REAL *src, const int64_t *depthOffsets,
                           int64_t lanes, int64_t depth, AG_REAL *dst) {
    for (int64_t s = 0; s < lanes; s += width, dst += width * depth) {
        int64_t live = lanes - s < width ? lanes - s : width;
        for (int64_t k = 0; k < depth; k++) {
            const AG_REAL *step = src + depthOffsets[k] + s;
            AG_REAL *d = dst + k * width;
            if (live == width) {
                copy_lanes(d, step, width);
                continue;
            }
            for (int64_t l = 0; l < live; l++) d[l] = step[l];
            for (int64_t l = live; l < width; l++) d[l] = 0;
        }
    }
}
