#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

#if AG_X86
#include <immintrin.h>
#endif

// Direct 2-D convolution for layers whose kernels are small (few input channels times few
// taps, like LeNet's 1→6 and 6→16 5×5 layers), where unfolding the input into columns and
// multiplying them costs more than the arithmetic itself.
//
// Every routine reads the input through a zero-padded copy (made only when the padding is not
// zero), so the inner loops never test bounds: output (oy, ox) of plane o is
//   Σ_c Σ_ky Σ_kx w[o, c, ky, kx] · xp[c, oy·sh + ky·dh, ox·sw + kx·dw].
// The AVX2 path works on tiles of OB output channels × NX chunks of 8 neighbouring outputs of
// one output row (the last chunk of a row masked), holding OB·NX accumulators in registers:
// per tap it loads NX input vectors (gathers when the stride is not 1) and broadcasts OB
// weights. Tiles past the end of the channels or chunks start earlier instead, recomputing
// (and rewriting, with the same values) a few outputs rather than needing a smaller tile.
//
// The weight gradient uses tiles of OB output channels × KB horizontal taps of one input
// channel and kernel row, summing gradient × input vectors over a group of images (their
// planes in L1) into vector sums, reduced to one value per entry at the end; tasks are
// (output-channel block, input channel) pairs, and parts of the batch when the pairs are
// too few for the threads. The input gradient on the AVX2 path keeps, for a tile of CB input
// channels × KB taps and one chunk of 8 output positions, the sums over output channels and
// kernel rows that reach one input row, then adds each at its input columns. The portable
// path computes it as a direct convolution: the output gradient spread on a grid of `stride`
// spacing, padded by (kernel extent − padding) on each side, correlated with the kernels
// flipped and with in/out channels swapped.

#define AG_INLINE static inline __attribute__((always_inline))

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/// A direct convolution over a padded input: `x` [batch, inChannels, height, width] (already
/// padded), `w` [outChannels, inChannels, kernelH, kernelW], output [batch, outChannels, outH, outW].
typedef struct {
    const float *x, *w, *bias, *grad;
    const float *xEnd;   // the end of the readable memory at x (AVX2 loads may run past a row)
    float *out;
    int64_t batch, inChannels, height, width;
    int64_t outChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, outH, outW;
    int64_t channelSplits;   // forward: output-channel runs per image on the threads (1: none)
    int32_t path;
} conv_job;

/// Floats of zeros after each buffer of our own, so that vector loads of a row's last
/// chunk may run past the last row.
#define AG_SLACK 64

/// A scratch buffer from the buffer cache (allocator.c).
typedef struct {
    float *data;
    size_t capacity;
} scratch_buffer;

/// `floats` floats plus AG_SLACK zeros from the buffer cache; aborts when out of memory.
static float *scratch_allocate(scratch_buffer *buffer, int64_t floats) {
    buffer->capacity = ag_buffer_capacity((size_t)(floats + AG_SLACK) * sizeof(float));
    buffer->data = ag_buffer_allocate(buffer->capacity);
    if (buffer->data == NULL) abort();
    memset(buffer->data + floats, 0, AG_SLACK * sizeof(float));
    return buffer->data;
}

static void scratch_free(scratch_buffer *buffer) {
    if (buffer->data != NULL) ag_buffer_free(buffer->data, buffer->capacity);
}

/// Copies `planes` planes [height, width] into planes [height + 2·padH, width + 2·padW] with a
/// border of zeros, in `buffer`.
static float *padded_copy(scratch_buffer *buffer, const float *x, int64_t planes, int64_t height, int64_t width,
                          int64_t padH, int64_t padW) {
    int64_t ph = height + 2 * padH, pw = width + 2 * padW;
    float *result = scratch_allocate(buffer, planes * ph * pw);
    memset(result, 0, (size_t)(planes * ph * pw) * sizeof(float));
    for (int64_t p = 0; p < planes; p++) {
        for (int64_t y = 0; y < height; y++) {
            memcpy(result + (p * ph + y + padH) * pw + padW, x + (p * height + y) * width, (size_t)width * sizeof(float));
        }
    }
    return result;
}

// MARK: Portable

/// Output planes oFirst ..< oLast of image `image`.
static void forward_image_portable(const conv_job *j, int64_t image, int64_t oFirst, int64_t oLast) {
    const int64_t taps = j->kernelH * j->kernelW;
    const float *x = j->x + image * j->inChannels * j->height * j->width;
    for (int64_t o = oFirst; o < oLast; o++) {
        float *plane = j->out + (image * j->outChannels + o) * j->outH * j->outW;
        for (int64_t oy = 0; oy < j->outH; oy++) {
            float *row = plane + oy * j->outW;
            float b = j->bias != NULL ? j->bias[o] : 0.0f;
            for (int64_t ox = 0; ox < j->outW; ox++) row[ox] = b;
            for (int64_t c = 0; c < j->inChannels; c++) {
                const float *w = j->w + (o * j->inChannels + c) * taps;
                for (int64_t ky = 0; ky < j->kernelH; ky++) {
                    const float *src = x + (c * j->height + oy * j->strideH + ky * j->dilationH) * j->width;
                    for (int64_t kx = 0; kx < j->kernelW; kx++) {
                        const float wv = w[ky * j->kernelW + kx];
                        const float *p = src + kx * j->dilationW;
                        if (j->strideW == 1) {
                            for (int64_t ox = 0; ox < j->outW; ox++) row[ox] += wv * p[ox];
                        } else {
                            for (int64_t ox = 0; ox < j->outW; ox++) row[ox] += wv * p[ox * j->strideW];
                        }
                    }
                }
            }
        }
    }
}

/// The weight gradient of output channel `o`, input channel `c` over the whole batch.
static void weight_gradient_portable(const conv_job *j, int64_t o, int64_t c, float *dw) {
    const int64_t positions = j->outH * j->outW;
    for (int64_t ky = 0; ky < j->kernelH; ky++) {
        for (int64_t kx = 0; kx < j->kernelW; kx++) {
            double sum = 0;
            for (int64_t n = 0; n < j->batch; n++) {
                const float *g = j->grad + (n * j->outChannels + o) * positions;
                const float *x = j->x + ((n * j->inChannels + c) * j->height + ky * j->dilationH) * j->width + kx * j->dilationW;
                float partial = 0;
                for (int64_t oy = 0; oy < j->outH; oy++) {
                    const float *gr = g + oy * j->outW, *xr = x + oy * j->strideH * j->width;
                    for (int64_t ox = 0; ox < j->outW; ox++) partial += gr[ox] * xr[ox * j->strideW];
                }
                sum += partial;
            }
            dw[((o * j->inChannels + c) * j->kernelH + ky) * j->kernelW + kx] = (float)sum;
        }
    }
}

// MARK: AVX2

#if AG_X86

/// Lanes 0 ..< remaining set (all when remaining >= 8).
AG_TARGET_AVX2 AG_INLINE __m256i lane_mask(int64_t remaining) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)min64(remaining, 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Eight inputs at p[0], p[stride], ...: a plain load, a masked load, or a masked gather.
AG_TARGET_AVX2 AG_INLINE __m256 load_inputs(const float *p, __m256i mask, __m256i index, bool masked, bool strided) {
    if (strided) return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, index, _mm256_castsi256_ps(mask), 4);
    if (masked) return _mm256_maskload_ps(p, mask);
    return _mm256_loadu_ps(p);
}

/// One forward tile: output channels o0 ..< o0 + OB, chunks t0 ..< t0 + NX of image `image`.
AG_TARGET_AVX2 AG_INLINE void forward_tile_avx2(const conv_job *j, int64_t image, int64_t o0, int64_t t0,
                                                const int OB, const int NX, bool maskLoads, bool maskStores,
                                                bool strided) {
    const int64_t chunksPerRow = (j->outW + 7) / 8, taps = j->kernelH * j->kernelW;
    const int64_t plane = j->height * j->width, weightStride = j->inChannels * taps;
    const float *x = j->x + image * j->inChannels * plane;
    const __m256i index = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int32_t)j->strideW));
    const float *rows[4];
    float *dst[4];
    __m256i mask[4];
    for (int k = 0; k < NX; k++) {
        int64_t t = t0 + k, oy = t / chunksPerRow, ox0 = (t % chunksPerRow) * 8;
        rows[k] = x + oy * j->strideH * j->width + ox0 * j->strideW;
        dst[k] = j->out + (image * j->outChannels + o0) * j->outH * j->outW + oy * j->outW + ox0;
        mask[k] = lane_mask(j->outW - ox0);
    }
    __m256 acc[8][4];
    for (int b = 0; b < OB; b++) {
        __m256 init = j->bias != NULL ? _mm256_set1_ps(j->bias[o0 + b]) : _mm256_setzero_ps();
        for (int k = 0; k < NX; k++) acc[b][k] = init;
    }
    for (int64_t c = 0; c < j->inChannels; c++) {
        const float *wc = j->w + (o0 * j->inChannels + c) * taps;
        for (int64_t ky = 0; ky < j->kernelH; ky++) {
            const int64_t rowOffset = c * plane + ky * j->dilationH * j->width;
            for (int64_t kx = 0; kx < j->kernelW; kx++) {
                const int64_t offset = rowOffset + kx * j->dilationW;
                const float *wt = wc + ky * j->kernelW + kx;
                __m256 xv[4];
                for (int k = 0; k < NX; k++) xv[k] = load_inputs(rows[k] + offset, mask[k], index, maskLoads, strided);
                for (int b = 0; b < OB; b++) {
                    __m256 wv = _mm256_broadcast_ss(wt + b * weightStride);
                    for (int k = 0; k < NX; k++) acc[b][k] = _mm256_fmadd_ps(wv, xv[k], acc[b][k]);
                }
            }
        }
    }
    const int64_t outPlane = j->outH * j->outW;
    for (int b = 0; b < OB; b++) {
        for (int k = 0; k < NX; k++) {
            if (maskStores) {
                _mm256_maskstore_ps(dst[k] + b * outPlane, mask[k], acc[b][k]);
            } else {
                _mm256_storeu_ps(dst[k] + b * outPlane, acc[b][k]);
            }
        }
    }
}

/// How a forward tile treats its chunks: all whole, some ragged (masked stores; loads may
/// run past the row), or some ragged near the end of the input (masked loads and stores).
enum { AG_TILE_WHOLE, AG_TILE_MASK_STORES, AG_TILE_MASK_ALL };

typedef void (*forward_tile_fn)(const conv_job *j, int64_t image, int64_t o0, int64_t t0, int mode);

#define AG_FORWARD_TILE(OB, NX) \
    AG_TARGET_AVX2 static void forward_tile_##OB##_##NX(const conv_job *j, int64_t image, int64_t o0, int64_t t0, int mode) { \
        if (j->strideW != 1) forward_tile_avx2(j, image, o0, t0, OB, NX, true, true, true); \
        else if (mode == AG_TILE_MASK_ALL) forward_tile_avx2(j, image, o0, t0, OB, NX, true, true, false); \
        else if (mode == AG_TILE_MASK_STORES) forward_tile_avx2(j, image, o0, t0, OB, NX, false, true, false); \
        else forward_tile_avx2(j, image, o0, t0, OB, NX, false, false, false); \
    }
#define AG_FORWARD_TILES(OB) AG_FORWARD_TILE(OB, 1) AG_FORWARD_TILE(OB, 2) AG_FORWARD_TILE(OB, 3) AG_FORWARD_TILE(OB, 4)
AG_FORWARD_TILES(1)
AG_FORWARD_TILES(2)
AG_FORWARD_TILES(3)
AG_FORWARD_TILES(4)
AG_FORWARD_TILES(6)
AG_FORWARD_TILES(8)

/// Tile widths in output channels, widest first, and their tiles by chunk count 1...4.
static const int tile_channels[6] = {8, 6, 4, 3, 2, 1};
static const forward_tile_fn forward_tiles[6][4] = {
    {forward_tile_8_1, forward_tile_8_2, forward_tile_8_3, forward_tile_8_4},
    {forward_tile_6_1, forward_tile_6_2, forward_tile_6_3, forward_tile_6_4},
    {forward_tile_4_1, forward_tile_4_2, forward_tile_4_3, forward_tile_4_4},
    {forward_tile_3_1, forward_tile_3_2, forward_tile_3_3, forward_tile_3_4},
    {forward_tile_2_1, forward_tile_2_2, forward_tile_2_3, forward_tile_2_4},
    {forward_tile_1_1, forward_tile_1_2, forward_tile_1_3, forward_tile_1_4},
};

/// The tile (index into tile_channels, chunk count) with the fewest cycles for `channels`
/// output channels and `chunks` chunks: OB·NX accumulators, NX inputs and a weight in the 16
/// vector registers, counting per tile the larger of its FMAs and its loads (two of each per
/// cycle).
static void choose_forward_tile(int64_t channels, int64_t chunks, int *which, int *nx) {
    int64_t best = INT64_MAX;
    for (int i = 0; i < 6; i++) {
        int ob = tile_channels[i];
        if (ob > channels) continue;
        // Accumulators, input vectors and a broadcast weight must fit the 16 registers.
        int n = (int)min64(min64(14 / (ob + 1), 4), chunks);
        if (n < 1) n = 1;
        int64_t cost = ((channels + ob - 1) / ob) * ((chunks + n - 1) / n) * max64(ob * n, ob + n);
        if (cost < best) {
            best = cost;
            *which = i;
            *nx = n;
        }
    }
}

/// Output planes oFirst ..< oLast of image `image`.
static void forward_image_avx2(const conv_job *j, int64_t image, int64_t oFirst, int64_t oLast) {
    const int64_t chunksPerRow = (j->outW + 7) / 8, chunks = j->outH * chunksPerRow;
    int which = 5, nx = 1;
    choose_forward_tile(oLast - oFirst, chunks, &which, &nx);
    const int64_t ob = tile_channels[which];
    const forward_tile_fn tile = forward_tiles[which][nx - 1];
    const bool ragged = j->outW % 8 != 0;
    const int64_t plane = j->height * j->width;
    // The farthest a chunk's loads reach past its first input, for the tap furthest down and right.
    const int64_t reach = (j->inChannels - 1) * plane + (j->kernelH - 1) * j->dilationH * j->width
                          + (j->kernelW - 1) * j->dilationW + 8;
    const float *x = j->x + image * j->inChannels * plane;
    for (int64_t b = oFirst; b < oLast; b += ob) {
        int64_t o0 = min64(b, oLast - ob);
        for (int64_t t = 0; t < chunks; t += nx) {
            int64_t t0 = min64(t, chunks - nx);
            // A tile is ragged when one of its chunks is the last of a ragged row; its loads
            // are masked too when its last chunk's reach passes the end of the input.
            int mode = AG_TILE_WHOLE;
            if (ragged && (t0 + nx) / chunksPerRow != t0 / chunksPerRow) {
                int64_t last = t0 + nx - 1, oy = last / chunksPerRow, ox0 = (last % chunksPerRow) * 8;
                const float *first = x + oy * j->strideH * j->width + ox0;
                mode = first + reach > j->xEnd ? AG_TILE_MASK_ALL : AG_TILE_MASK_STORES;
            }
            tile(j, image, o0, t0, mode);
        }
    }
}

/// Adds g · x for one chunk into the OB × KB accumulators, holding whichever of the OB
/// gradient vectors or the KB input vectors are fewer.
AG_TARGET_AVX2 AG_INLINE void weight_chunk_avx2(__m256 acc[6][6], const float *g, int64_t gPlane, const float *x,
                                                int64_t dilationW, __m256i mask, __m256i index,
                                                const int OB, const int KB, bool masked, bool strided) {
    if (OB <= KB) {
        __m256 gv[6];
        for (int b = 0; b < OB; b++) gv[b] = masked ? _mm256_maskload_ps(g + b * gPlane, mask) : _mm256_loadu_ps(g + b * gPlane);
        for (int k = 0; k < KB; k++) {
            __m256 xv = load_inputs(x + k * dilationW, mask, index, masked, strided);
            for (int b = 0; b < OB; b++) acc[b][k] = _mm256_fmadd_ps(gv[b], xv, acc[b][k]);
        }
    } else {
        __m256 xv[6];
        for (int k = 0; k < KB; k++) xv[k] = load_inputs(x + k * dilationW, mask, index, masked, strided);
        for (int b = 0; b < OB; b++) {
            __m256 gv = masked ? _mm256_maskload_ps(g + b * gPlane, mask) : _mm256_loadu_ps(g + b * gPlane);
            for (int k = 0; k < KB; k++) acc[b][k] = _mm256_fmadd_ps(gv, xv[k], acc[b][k]);
        }
    }
}

/// Adds to `sums` (OB × KB vectors) the weight gradient of output channels o0 ..< o0 + OB,
/// input channel c, kernel row ky, taps kx0 ..< kx0 + KB, from images n ..< n + images: the
/// whole chunks of every output row in one flat loop (nested loops make the compiler shuffle
/// the accumulators between registers), then the ragged last chunks.
AG_TARGET_AVX2 AG_INLINE void weight_tile_avx2(const conv_job *j, int64_t n, int64_t images, int64_t o0, int64_t c,
                                               int64_t ky, int64_t kx0, float *sums, const int OB, const int KB,
                                               bool strided) {
    const __m256i index = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int32_t)j->strideW));
    const int64_t gPlane = j->outH * j->outW, full = j->outW / 8 * 8;
    const __m256i tailMask = lane_mask(j->outW - full), fullMask = lane_mask(8);
    const int64_t xRow = j->strideH * j->width;
    __m256 acc[6][6];
    for (int b = 0; b < OB; b++) {
        for (int k = 0; k < KB; k++) acc[b][k] = _mm256_setzero_ps();
    }
    const float *g = j->grad + (n * j->outChannels + o0) * gPlane;
    const float *x = j->x + ((n * j->inChannels + c) * j->height + ky * j->dilationH) * j->width + kx0 * j->dilationW;
    // From the row after an image's last row to the next image's first.
    const int64_t gSkip = j->outChannels * gPlane - j->outH * j->outW;
    const int64_t xSkip = j->inChannels * j->height * j->width - j->outH * xRow;
    if (full > 0) {
        const float *gr = g, *xr = x;
        int64_t ox = 0, oy = 0;
        for (int64_t step = images * j->outH * (full / 8); step > 0; step--) {
            weight_chunk_avx2(acc, gr + ox, gPlane, xr + ox * j->strideW, j->dilationW, fullMask, index, OB, KB, false, strided);
            ox += 8;
            if (ox == full) {
                ox = 0;
                gr += j->outW;
                xr += xRow;
                if (++oy == j->outH) {
                    oy = 0;
                    gr += gSkip;
                    xr += xSkip;
                }
            }
        }
    }
    if (full < j->outW) {
        for (int64_t image = 0; image < images; image++) {
            const float *gr = g + image * j->outChannels * gPlane + full;
            const float *xr = x + image * j->inChannels * j->height * j->width + full * j->strideW;
            for (int64_t oy = 0; oy < j->outH; oy++, gr += j->outW, xr += xRow) {
                weight_chunk_avx2(acc, gr, gPlane, xr, j->dilationW, tailMask, index, OB, KB, true, strided);
            }
        }
    }
    for (int b = 0; b < OB; b++) {
        for (int k = 0; k < KB; k++) {
            float *sum = sums + (b * KB + k) * 8;
            _mm256_storeu_ps(sum, _mm256_add_ps(_mm256_loadu_ps(sum), acc[b][k]));
        }
    }
}

typedef void (*weight_tile_fn)(const conv_job *j, int64_t n, int64_t images, int64_t o0, int64_t c, int64_t ky,
                               int64_t kx0, float *sums);

#define AG_WEIGHT_TILE(OB, KB) \
    AG_TARGET_AVX2 static void weight_tile_##OB##_##KB(const conv_job *j, int64_t n, int64_t images, int64_t o0, \
                                                      int64_t c, int64_t ky, int64_t kx0, float *sums) { \
        if (j->strideW != 1) weight_tile_avx2(j, n, images, o0, c, ky, kx0, sums, OB, KB, true); \
        else weight_tile_avx2(j, n, images, o0, c, ky, kx0, sums, OB, KB, false); \
    }
AG_WEIGHT_TILE(1, 1) AG_WEIGHT_TILE(1, 2) AG_WEIGHT_TILE(1, 3) AG_WEIGHT_TILE(1, 4) AG_WEIGHT_TILE(1, 5) AG_WEIGHT_TILE(1, 6)
AG_WEIGHT_TILE(2, 1) AG_WEIGHT_TILE(2, 2) AG_WEIGHT_TILE(2, 3) AG_WEIGHT_TILE(2, 4) AG_WEIGHT_TILE(2, 5) AG_WEIGHT_TILE(2, 6)
AG_WEIGHT_TILE(3, 1) AG_WEIGHT_TILE(3, 2) AG_WEIGHT_TILE(3, 3) AG_WEIGHT_TILE(3, 4)
AG_WEIGHT_TILE(4, 1) AG_WEIGHT_TILE(4, 2) AG_WEIGHT_TILE(4, 3)
AG_WEIGHT_TILE(6, 1) AG_WEIGHT_TILE(6, 2)

/// Weight tiles by output channels 1...6 and taps 1...6 (NULL where OB·KB > 12 or OB = 5).
static const weight_tile_fn weight_tiles[6][6] = {
    {weight_tile_1_1, weight_tile_1_2, weight_tile_1_3, weight_tile_1_4, weight_tile_1_5, weight_tile_1_6},
    {weight_tile_2_1, weight_tile_2_2, weight_tile_2_3, weight_tile_2_4, weight_tile_2_5, weight_tile_2_6},
    {weight_tile_3_1, weight_tile_3_2, weight_tile_3_3, weight_tile_3_4, NULL, NULL},
    {weight_tile_4_1, weight_tile_4_2, weight_tile_4_3, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
    {weight_tile_6_1, weight_tile_6_2, NULL, NULL, NULL, NULL},
};

/// Taps per weight tile (the whole kernel row up to 6, else 4 with overlap) and output
/// channels per tile: the most (at most the channel count) whose OB·KB accumulators, the
/// fewer of OB gradient or KB input vectors, and one more vector fit the 16 registers.
static void choose_weight_tile(int64_t channels, int64_t kernelW, int *ob, int *kb) {
    *kb = (int)(kernelW <= 6 ? kernelW : 4);
    static const int widths[] = {6, 4, 3, 2, 1};
    for (int i = 0; i < 5; i++) {
        int width = widths[i];
        if (width <= channels && width * *kb <= 12 && width * *kb + (width < *kb ? width : *kb) + 1 <= 15) {
            *ob = width;
            return;
        }
    }
    *ob = 1;
}

/// Vector sums (floats) of one weight-gradient task: kernelH × kernel-row blocks × ob × kb vectors.
static int64_t weight_sums_floats(const conv_job *j, int ob, int kb) {
    return j->kernelH * ((j->kernelW + kb - 1) / kb) * ob * kb * 8;
}

/// Sets `sums` to the weight gradient's vector sums of output-channel block `block` (of `ob`)
/// and input channel c over images first ..< last, a group of images at a time.
static void weight_sums_avx2(const conv_job *j, int64_t block, int64_t c, int64_t first, int64_t last,
                             int ob, int kb, float *sums) {
    const int64_t o0 = min64(block * ob, j->outChannels - ob);
    const int64_t rowBlocks = (j->kernelW + kb - 1) / kb, tileFloats = (int64_t)ob * kb * 8;
    const weight_tile_fn tile = weight_tiles[ob - 1][kb - 1];
    memset(sums, 0, (size_t)weight_sums_floats(j, ob, kb) * sizeof(float));
    // Images in groups whose gradient and input planes (about 16 KB) stay in the L1 cache.
    const int64_t group = max64(1, 4096 / (ob * j->outH * j->outW + j->height * j->width));
    for (int64_t n = first; n < last; n += group) {
        const int64_t images = min64(group, last - n);
        for (int64_t ky = 0; ky < j->kernelH; ky++) {
            for (int64_t r = 0; r < rowBlocks; r++) {
                tile(j, n, images, o0, c, ky, min64(r * kb, j->kernelW - kb), sums + (ky * rowBlocks + r) * tileFloats);
            }
        }
    }
}

/// Writes the weight gradient of output-channel block `block` and input channel c from the
/// vector sums of `parts` tasks (`stride` floats apart), lanes and parts added in a fixed order.
/// Entries of an earlier (overlapping) block or kernel-row block are written by that one.
static void weight_finish(const conv_job *j, int64_t block, int64_t c, int ob, int kb, const float *sums,
                          int64_t parts, int64_t stride, float *dw) {
    const int64_t start = block * ob, o0 = min64(start, j->outChannels - ob);
    const int64_t rowBlocks = (j->kernelW + kb - 1) / kb, tileFloats = (int64_t)ob * kb * 8;
    for (int64_t ky = 0; ky < j->kernelH; ky++) {
        for (int64_t r = 0; r < rowBlocks; r++) {
            int64_t kx0 = min64(r * kb, j->kernelW - kb);
            for (int b = 0; b < ob; b++) {
                for (int k = 0; k < kb; k++) {
                    if (o0 + b < start || kx0 + k < r * kb) continue;
                    float total = 0;
                    for (int64_t part = 0; part < parts; part++) {
                        const float *v = sums + part * stride + (ky * rowBlocks + r) * tileFloats + (b * kb + k) * 8;
                        total += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
                    }
                    dw[(((o0 + b) * j->inChannels + c) * j->kernelH + ky) * j->kernelW + kx0 + k] = total;
                }
            }
        }
    }
}

/// Adds to row `y` of input channels c0 ..< c0 + CB of image n's input gradient `dx` the
/// contributions of taps kx0 ..< kx0 + KB through output chunk ox0 (8 outputs): for each tap
/// kx a vector acc[cb][kb][i] = Σ_ky Σ_o w[o, c, ky, kx] · g[o, oy(ky), ox0 + i], over the
/// kernel rows ky whose output row oy·sh + ky·dh − ph is y, then added at input columns
/// (ox0 + i)·sw + kx·dw − pw that fall inside the row. `ragged`: the chunk has fewer than 8
/// outputs.
AG_TARGET_AVX2 AG_INLINE void input_tile_avx2(const conv_job *j, int64_t n, int64_t c0, int64_t y, int64_t ox0,
                                              int64_t kx0, int64_t padH, int64_t padW, float *dx,
                                              const int CB, const int KB, bool ragged) {
    const int64_t gPlane = j->outH * j->outW, taps = j->kernelH * j->kernelW;
    const int64_t remaining = j->outW - ox0, oStride = j->inChannels * taps;
    const __m256i mask = lane_mask(remaining);
    // The kernel rows that reach row y, as (output-gradient row, kernel taps) pairs, one per
    // output channel, walked in one flat loop: nested loops make the compiler shuffle the
    // accumulators between registers at each turn of the outer one.
    int64_t ky = 0, steps = 0;
    const float *g = NULL, *w = NULL;
    __m256 acc[6][6];
    for (int b = 0; b < CB; b++) {
        for (int k = 0; k < KB; k++) acc[b][k] = _mm256_setzero_ps();
    }
    for (;;) {
        if (steps == 0) {
            // Find the next kernel row that reaches row y.
            for (; ky < j->kernelH; ky++) {
                int64_t row = y + padH - ky * j->dilationH;
                if (row >= 0 && row % j->strideH == 0 && row / j->strideH < j->outH) break;
            }
            if (ky == j->kernelH) break;
            int64_t row = (y + padH - ky * j->dilationH) / j->strideH;
            g = j->grad + n * j->outChannels * gPlane + row * j->outW + ox0;
            w = j->w + (c0 * j->kernelH + ky) * j->kernelW + kx0;
            steps = j->outChannels;
            ky++;
        }
        __m256 gv = ragged ? _mm256_maskload_ps(g, mask) : _mm256_loadu_ps(g);
        for (int b = 0; b < CB; b++) {
            for (int k = 0; k < KB; k++) {
                acc[b][k] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + b * taps + k), gv, acc[b][k]);
            }
        }
        g += gPlane;
        w += oStride;
        steps--;
    }
    // Out of registers first (a loop over the sums that does not unroll would keep them in
    // memory throughout), then into the rows.
    float values[6][6][8];
    for (int b = 0; b < CB; b++) {
        for (int k = 0; k < KB; k++) _mm256_storeu_ps(values[b][k], acc[b][k]);
    }
    const int64_t width = j->width, lanes = min64(remaining, 8);
    for (int64_t b = 0; b < CB; b++) {
        float *target = dx + ((n * j->inChannels + c0 + b) * j->height + y) * width;
        for (int64_t k = 0; k < KB; k++) {
            int64_t x0 = ox0 * j->strideW + (kx0 + k) * j->dilationW - padW;
            if (j->strideW == 1 && lanes == 8 && x0 >= 0 && x0 + 8 <= width) {
                _mm256_storeu_ps(target + x0, _mm256_add_ps(_mm256_loadu_ps(target + x0), _mm256_loadu_ps(values[b][k])));
                continue;
            }
            for (int64_t i = 0; i < lanes; i++) {
                int64_t x = x0 + i * j->strideW;
                if (x >= 0 && x < width) target[x] += values[b][k][i];
            }
        }
    }
}

typedef void (*input_tile_fn)(const conv_job *j, int64_t n, int64_t c0, int64_t y, int64_t ox0, int64_t kx0,
                              int64_t padH, int64_t padW, float *dx);

#define AG_INPUT_TILE(CB, KB) \
    AG_TARGET_AVX2 __attribute__((noinline)) static void input_tile_whole_##CB##_##KB( \
        const conv_job *j, int64_t n, int64_t c0, int64_t y, int64_t ox0, int64_t kx0, int64_t padH, int64_t padW, float *dx) { \
        input_tile_avx2(j, n, c0, y, ox0, kx0, padH, padW, dx, CB, KB, false); \
    } \
    AG_TARGET_AVX2 __attribute__((noinline)) static void input_tile_ragged_##CB##_##KB( \
        const conv_job *j, int64_t n, int64_t c0, int64_t y, int64_t ox0, int64_t kx0, int64_t padH, int64_t padW, float *dx) { \
        input_tile_avx2(j, n, c0, y, ox0, kx0, padH, padW, dx, CB, KB, true); \
    } \
    AG_TARGET_AVX2 static void input_tile_##CB##_##KB(const conv_job *j, int64_t n, int64_t c0, int64_t y, int64_t ox0, \
                                                     int64_t kx0, int64_t padH, int64_t padW, float *dx) { \
        if (j->outW - ox0 >= 8) input_tile_whole_##CB##_##KB(j, n, c0, y, ox0, kx0, padH, padW, dx); \
        else input_tile_ragged_##CB##_##KB(j, n, c0, y, ox0, kx0, padH, padW, dx); \
    }
AG_INPUT_TILE(1, 1) AG_INPUT_TILE(1, 2) AG_INPUT_TILE(1, 3) AG_INPUT_TILE(1, 4) AG_INPUT_TILE(1, 5) AG_INPUT_TILE(1, 6)
AG_INPUT_TILE(2, 1) AG_INPUT_TILE(2, 2) AG_INPUT_TILE(2, 3) AG_INPUT_TILE(2, 4) AG_INPUT_TILE(2, 5) AG_INPUT_TILE(2, 6)
AG_INPUT_TILE(3, 1) AG_INPUT_TILE(3, 2) AG_INPUT_TILE(3, 3) AG_INPUT_TILE(3, 4)
AG_INPUT_TILE(4, 1) AG_INPUT_TILE(4, 2) AG_INPUT_TILE(4, 3)
AG_INPUT_TILE(5, 1) AG_INPUT_TILE(5, 2)
AG_INPUT_TILE(6, 1) AG_INPUT_TILE(6, 2)

/// Input-gradient tiles by input channels 1...6 and taps 1...6 (NULL where CB·KB > 12).
static const input_tile_fn input_tiles[6][6] = {
    {input_tile_1_1, input_tile_1_2, input_tile_1_3, input_tile_1_4, input_tile_1_5, input_tile_1_6},
    {input_tile_2_1, input_tile_2_2, input_tile_2_3, input_tile_2_4, input_tile_2_5, input_tile_2_6},
    {input_tile_3_1, input_tile_3_2, input_tile_3_3, input_tile_3_4, NULL, NULL},
    {input_tile_4_1, input_tile_4_2, input_tile_4_3, NULL, NULL, NULL},
    {input_tile_5_1, input_tile_5_2, NULL, NULL, NULL, NULL},
    {input_tile_6_1, input_tile_6_2, NULL, NULL, NULL, NULL},
};

/// Image n's input gradient (zeroed beforehand): tiles of KB ≤ 6 taps (the kernel row split
/// without overlap) and CB input channels (the most with CB·KB ≤ 12, the rest in a smaller
/// tile), for every input row and output chunk.
static void input_gradient_image_avx2(const conv_job *j, int64_t n, int64_t padH, int64_t padW, float *dx) {
    const int64_t kb = min64(j->kernelW, 6);
    const int64_t cb = min64(min64(12 / kb, 6), j->inChannels);
    for (int64_t c0 = 0; c0 < j->inChannels; c0 += cb) {
        const int64_t channels = min64(cb, j->inChannels - c0);
        for (int64_t y = 0; y < j->height; y++) {
            for (int64_t ox0 = 0; ox0 < j->outW; ox0 += 8) {
                for (int64_t kx0 = 0; kx0 < j->kernelW; kx0 += kb) {
                    const int64_t taps = min64(kb, j->kernelW - kx0);
                    input_tiles[channels - 1][taps - 1](j, n, c0, y, ox0, kx0, padH, padW, dx);
                }
            }
        }
    }
}

typedef struct {
    conv_job job;
    int64_t padH, padW;
} input_job;

static void input_task(void *context, int64_t part, int64_t parts) {
    const input_job *ij = context;
    int64_t first = ij->job.batch * part / parts, last = ij->job.batch * (part + 1) / parts;
    float *dx = ij->job.out;
    const int64_t image = ij->job.inChannels * ij->job.height * ij->job.width;
    memset(dx + first * image, 0, (size_t)((last - first) * image) * sizeof(float));
    for (int64_t n = first; n < last; n++) input_gradient_image_avx2(&ij->job, n, ij->padH, ij->padW, dx);
}
#endif

// MARK: Threads

/// Task `part` of `parts`: a run of images, or with `channelSplits` > 1 one image's run of
/// output channels (run r of channelSplits near-equal ones).
static void forward_task(void *context, int64_t part, int64_t parts) {
    const conv_job *j = context;
    int64_t first = j->batch * part / parts, last = j->batch * (part + 1) / parts;
    int64_t oFirst = 0, oLast = j->outChannels;
    if (j->channelSplits > 1) {
        const int64_t r = part % j->channelSplits;
        first = part / j->channelSplits;
        last = first + 1;
        oFirst = j->outChannels * r / j->channelSplits;
        oLast = j->outChannels * (r + 1) / j->channelSplits;
    }
    for (int64_t image = first; image < last; image++) {
#if AG_X86
        if (ag_path_runs_avx2(j->path)) {
            forward_image_avx2(j, image, oFirst, oLast);
            continue;
        }
#endif
        forward_image_portable(j, image, oFirst, oLast);
    }
}

/// Runs the forward job split over the threads when it is large: by images, and when the
/// images are fewer than the threads also by runs of at least 8 output channels.
static void run_forward(conv_job *j) {
    const int64_t work = j->batch * j->outChannels * j->outH * j->outW * j->inChannels * j->kernelH * j->kernelW;
    const int64_t threads = work >= (1 << 18) ? ag_get_num_threads() : 1;
    j->path = ag_kernel_path_get();
    j->channelSplits = 1;
    int64_t parts = min64(j->batch, threads);
    if (j->batch > 0 && j->batch < threads) {
        j->channelSplits = max64(1, min64((threads + j->batch - 1) / j->batch, j->outChannels / 8));
        if (j->channelSplits > 1) parts = j->batch * j->channelSplits;
    }
    if (parts <= 1) {
        forward_task(j, 0, 1);
    } else {
        ag_parallel_for(parts, forward_task, j);
    }
}

void ag_conv2d_direct(const float *input, int64_t batch, int64_t channels, int64_t height, int64_t width,
                      const float *weight, int64_t outChannels, int64_t kernelH, int64_t kernelW,
                      int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                      int64_t dilationH, int64_t dilationW, const float *bias,
                      int64_t outH, int64_t outW, float *output) {
    scratch_buffer buffer = {NULL, 0};
    const float *x = padH != 0 || padW != 0 ? padded_copy(&buffer, input, batch * channels, height, width, padH, padW) : input;
    const int64_t size = batch * channels * (height + 2 * padH) * (width + 2 * padW);
    conv_job job = {
        .x = x, .xEnd = x + size + (buffer.data != NULL ? AG_SLACK : 0), .w = weight, .bias = bias, .out = output,
        .batch = batch, .inChannels = channels, .height = height + 2 * padH, .width = width + 2 * padW,
        .outChannels = outChannels, .kernelH = kernelH, .kernelW = kernelW, .strideH = strideH, .strideW = strideW,
        .dilationH = dilationH, .dilationW = dilationW, .outH = outH, .outW = outW,
    };
    run_forward(&job);
    scratch_free(&buffer);
}

/// The shared state of a weight-gradient job: tasks are (output-channel block, input channel,
/// part of the batch); on the AVX2 path each task leaves its vector sums in `sums`, added up
/// per (block, channel) at the end.
typedef struct {
    conv_job job;
    float *dw, *sums;
    int ob, kb;
    int64_t blocks, parts, sumsFloats;
} weight_job;

static void weight_task(void *context, int64_t task, int64_t count) {
    (void)count;
    const weight_job *wj = context;
    const int64_t part = task % wj->parts, pair = task / wj->parts;
    const int64_t block = pair / wj->job.inChannels, c = pair % wj->job.inChannels;
#if AG_X86
    if (ag_path_runs_avx2(wj->job.path)) {
        const int64_t first = wj->job.batch * part / wj->parts, last = wj->job.batch * (part + 1) / wj->parts;
        weight_sums_avx2(&wj->job, block, c, first, last, wj->ob, wj->kb, wj->sums + task * wj->sumsFloats);
        return;
    }
#endif
    for (int64_t o = block * wj->ob; o < min64((block + 1) * wj->ob, wj->job.outChannels); o++) {
        weight_gradient_portable(&wj->job, o, c, wj->dw);
    }
}

void ag_conv2d_direct_weight_gradient(const float *grad, const float *input, int64_t batch, int64_t channels,
                                      int64_t height, int64_t width, int64_t outChannels, int64_t kernelH,
                                      int64_t kernelW, int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                                      int64_t dilationH, int64_t dilationW, int64_t outH, int64_t outW,
                                      float *gradWeight) {
    scratch_buffer buffer = {NULL, 0}, sumsBuffer = {NULL, 0};
    const float *x = padH != 0 || padW != 0 ? padded_copy(&buffer, input, batch * channels, height, width, padH, padW) : input;
    weight_job wj = {
        .job = {
            .x = x, .grad = grad,
            .batch = batch, .inChannels = channels, .height = height + 2 * padH, .width = width + 2 * padW,
            .outChannels = outChannels, .kernelH = kernelH, .kernelW = kernelW, .strideH = strideH,
            .strideW = strideW, .dilationH = dilationH, .dilationW = dilationW, .outH = outH, .outW = outW,
            .path = ag_kernel_path_get(),
        },
        .dw = gradWeight, .ob = 1, .kb = 1, .parts = 1,
    };
    const int64_t work = batch * outChannels * outH * outW * channels * kernelH * kernelW;
    const int64_t threads = work >= (1 << 18) ? ag_get_num_threads() : 1;
    const bool avx2 = ag_path_runs_avx2(wj.job.path);
#if AG_X86
    if (avx2) choose_weight_tile(outChannels, kernelW, &wj.ob, &wj.kb);
#endif
    wj.blocks = (outChannels + wj.ob - 1) / wj.ob;
    const int64_t pairs = wj.blocks * channels;
    if (avx2) {
        // Split the batch too when there are fewer than two (block, channel) pairs per thread.
        if (pairs > 0 && pairs < 2 * threads) wj.parts = max64(1, min64(batch, (2 * threads + pairs - 1) / pairs));
        wj.sumsFloats = weight_sums_floats(&wj.job, wj.ob, wj.kb);
        wj.sums = scratch_allocate(&sumsBuffer, pairs * wj.parts * wj.sumsFloats);
    }
    const int64_t tasks = pairs * wj.parts;
    if (threads > 1 && tasks > 1) {
        ag_parallel_for(tasks, weight_task, &wj);
    } else {
        for (int64_t t = 0; t < tasks; t++) weight_task(&wj, t, tasks);
    }
    if (avx2) {
        for (int64_t pair = 0; pair < pairs; pair++) {
            weight_finish(&wj.job, pair / channels, pair % channels, wj.ob, wj.kb,
                          wj.sums + pair * wj.parts * wj.sumsFloats, wj.parts, wj.sumsFloats, gradWeight);
        }
    }
    scratch_free(&sumsBuffer);
    scratch_free(&buffer);
}

void ag_conv2d_direct_input_gradient(const float *grad, const float *weight, int64_t batch, int64_t channels,
                                     int64_t height, int64_t width, int64_t outChannels, int64_t kernelH,
                                     int64_t kernelW, int64_t strideH, int64_t strideW, int64_t padH, int64_t padW,
                                     int64_t dilationH, int64_t dilationW, int64_t outH, int64_t outW,
                                     float *gradInput) {
#if AG_X86
    if (ag_path_runs_avx2(ag_kernel_path_get())) {
        input_job ij = {
            .job = {
                .w = weight, .grad = grad, .out = gradInput,
                .batch = batch, .inChannels = channels, .height = height, .width = width,
                .outChannels = outChannels, .kernelH = kernelH, .kernelW = kernelW, .strideH = strideH,
                .strideW = strideW, .dilationH = dilationH, .dilationW = dilationW, .outH = outH, .outW = outW,
            },
            .padH = padH, .padW = padW,
        };
        int64_t work = batch * outChannels * outH * outW * channels * kernelH * kernelW;
        int64_t parts = work >= (1 << 18) ? min64(batch, ag_get_num_threads()) : 1;
        if (parts <= 1) {
            input_task(&ij, 0, 1);
        } else {
            ag_parallel_for(parts, input_task, &ij);
        }
        return;
    }
#endif
    // The portable path: a direct convolution of the output gradient spread on the stride's
    // grid and padded, with the kernels flipped and transposed.
    // The output gradient on a grid of `stride` spacing inside planes of the input's size
    // plus the dilated kernel's extent, shifted by (extent - padding); entries that land
    // outside (windows wholly in the padding) have no input to reach and are dropped.
    const int64_t extentH = (kernelH - 1) * dilationH, extentW = (kernelW - 1) * dilationW;
    const int64_t gh = height + extentH, gw = width + extentW;
    const int64_t shiftH = extentH - padH, shiftW = extentW - padW;
    scratch_buffer spreadBuffer = {NULL, 0}, flippedBuffer = {NULL, 0};
    float *spread = scratch_allocate(&spreadBuffer, batch * outChannels * gh * gw);
    float *flipped = scratch_allocate(&flippedBuffer, channels * outChannels * kernelH * kernelW);
    memset(spread, 0, (size_t)(batch * outChannels * gh * gw) * sizeof(float));
    for (int64_t p = 0; p < batch * outChannels; p++) {
        for (int64_t oy = 0; oy < outH; oy++) {
            int64_t y = oy * strideH + shiftH;
            if (y < 0 || y >= gh) continue;
            for (int64_t ox = 0; ox < outW; ox++) {
                int64_t x = ox * strideW + shiftW;
                if (x >= 0 && x < gw) spread[(p * gh + y) * gw + x] = grad[(p * outH + oy) * outW + ox];
            }
        }
    }
    // flipped[c, o, ky, kx] = weight[o, c, kh - 1 - ky, kw - 1 - kx]
    for (int64_t c = 0; c < channels; c++) {
        for (int64_t o = 0; o < outChannels; o++) {
            for (int64_t ky = 0; ky < kernelH; ky++) {
                for (int64_t kx = 0; kx < kernelW; kx++) {
                    flipped[((c * outChannels + o) * kernelH + ky) * kernelW + kx] =
                        weight[((o * channels + c) * kernelH + kernelH - 1 - ky) * kernelW + kernelW - 1 - kx];
                }
            }
        }
    }
    conv_job job = {
        .x = spread, .xEnd = spread + batch * outChannels * gh * gw + AG_SLACK, .w = flipped, .out = gradInput,
        .batch = batch, .inChannels = outChannels, .height = gh, .width = gw,
        .outChannels = channels, .kernelH = kernelH, .kernelW = kernelW, .strideH = 1, .strideW = 1,
        .dilationH = dilationH, .dilationW = dilationW, .outH = height, .outW = width,
    };
    run_forward(&job);
    scratch_free(&spreadBuffer);
    scratch_free(&flippedBuffer);
}
