// The tile transforms of conv_winograd.c, included once per kernel path after defining
//
//   AG_WG_LANES    tiles per vector: 4 (portable), 8 (AVX2) or 16 (AVX-512, and the AVX-512
//                  code compiled for AVX2)
//   AG_WG_TARGET   the functions' target attribute (empty for the portable path)
//   AG_WG_NAME(x)  x with the path's suffix
//
// to get AG_WG_NAME(winograd_input_tiles), AG_WG_NAME(winograd_output_tiles) and
// AG_WG_NAME(winograd_gradient_tiles), the contracts of ag_winograd_input_tiles,
// ag_winograd_output_tiles and ag_winograd_gradient_tiles. The tiles of a block are
// taken a run at a time (the block's tiles of one tile row), AG_WG_LANES neighbouring tiles
// together where they can, one per vector lane: their patches' columns 0 and 2 are the even
// floats of an input row from the first patch's column 0 and 2, columns 1 and 3 the odd ones
// (loaded whole and deinterleaved); their 2×2 outputs are interleaved back into two output
// rows, and their 2×2 output gradients deinterleaved from two rows of the gradient. A group may start earlier than the first tile not yet done, so that it ends inside the
// run and the image (winograd_group_start): the tiles it does again get the same values. Patch
// rows above or below the image are read from a row of zeros. Tiles no group can take
// (patches over the image's left or right border, tiles over the output's last row or column,
// runs shorter than a group) go one at a time (winograd_input_tile, winograd_output_tile,
// winograd_gradient_tile). Only additions, in the same order in both forms, so every path gives
// the same bits.

#ifndef AG_WG_NAME
#error "define AG_WG_LANES, AG_WG_TARGET and AG_WG_NAME first"
#endif

/// AG_WG_LANES floats, loaded and stored unaligned; may alias any float.
typedef float AG_WG_NAME(ag_vtiles) __attribute__((vector_size(4 * AG_WG_LANES), aligned(4), may_alias));
#define V AG_WG_NAME(ag_vtiles)
#define L AG_WG_LANES

// The even and odd lanes of the 2·L floats a, b (a first), and a, b interleaved lane by lane
// (its first and second halves).
#if L == 4
#define AG_WG_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#define AG_WG_ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7)
#define AG_WG_ZIP_LOW(a, b) __builtin_shufflevector(a, b, 0, 4, 1, 5)
#define AG_WG_ZIP_HIGH(a, b) __builtin_shufflevector(a, b, 2, 6, 3, 7)
#elif L == 8
#define AG_WG_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define AG_WG_ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#define AG_WG_ZIP_LOW(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define AG_WG_ZIP_HIGH(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#elif L == 16
#define AG_WG_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define AG_WG_ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
#define AG_WG_ZIP_LOW(a, b) \
    __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define AG_WG_ZIP_HIGH(a, b) \
    __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)
#else
#error "AG_WG_LANES must be 4, 8 or 16"
#endif

/// The input transform of L neighbouring tiles of one tile row: row i of the first one's
/// patch at `rows[i]` (2·L + 2 floats from there), the others' 2, 4, ... floats to its right;
/// tile `l` goes to lane `l` of the 16 planes at `out`.
AG_WG_TARGET
static inline __attribute__((always_inline)) void AG_WG_NAME(input_lanes)(const float *const rows[4], float *out,
                                                                        int64_t plane) {
    V d[4][4];
    for (int i = 0; i < 4; i++) {
        const float *row = rows[i];
        const V a = *(const V *)row, b = *(const V *)(row + L);
        const V c = *(const V *)(row + 2), e = *(const V *)(row + L + 2);
        d[i][0] = AG_WG_EVEN(a, b);
        d[i][1] = AG_WG_ODD(a, b);
        d[i][2] = AG_WG_EVEN(c, e);
        d[i][3] = AG_WG_ODD(c, e);
    }
    for (int j = 0; j < 4; j++) {   // Bᵀ d, in place
        const V d0 = d[0][j], d1 = d[1][j], d2 = d[2][j], d3 = d[3][j];
        d[0][j] = d0 - d2;
        d[1][j] = d1 + d2;
        d[2][j] = d2 - d1;
        d[3][j] = d1 - d3;
    }
    for (int i = 0; i < 4; i++) {   // (Bᵀ d) B
        *(V *)(out + (4 * i + 0) * plane) = d[i][0] - d[i][2];
        *(V *)(out + (4 * i + 1) * plane) = d[i][1] + d[i][2];
        *(V *)(out + (4 * i + 2) * plane) = d[i][2] - d[i][1];
        *(V *)(out + (4 * i + 3) * plane) = d[i][1] - d[i][3];
    }
}

/// The output transform of L neighbouring tiles of one tile row, from lane `l` on of the 16
/// planes at `m`, plus `shift`, into two rows of 2·L floats at `rows` (`rowStride` apart).
AG_WG_TARGET
static inline __attribute__((always_inline)) void AG_WG_NAME(output_lanes)(const float *m, int64_t plane,
                                                                         float shift, float *rows,
                                                                         int64_t rowStride) {
    V s[2][4];   // Aᵀ M
    for (int j = 0; j < 4; j++) {
        const V m0 = *(const V *)(m + j * plane), m1 = *(const V *)(m + (4 + j) * plane);
        const V m2 = *(const V *)(m + (8 + j) * plane), m3 = *(const V *)(m + (12 + j) * plane);
        s[0][j] = m0 + m1 + m2;
        s[1][j] = m1 - m2 - m3;
    }
    for (int i = 0; i < 2; i++) {   // (Aᵀ M) A, each tile's two columns side by side
        const V left = s[i][0] + s[i][1] + s[i][2] + shift, right = s[i][1] - s[i][2] - s[i][3] + shift;
        *(V *)(rows + i * rowStride) = AG_WG_ZIP_LOW(left, right);
        *(V *)(rows + i * rowStride + L) = AG_WG_ZIP_HIGH(left, right);
    }
}

AG_WG_TARGET
static void AG_WG_NAME(winograd_input_tiles)(const float *images, int64_t channels, int64_t height, int64_t width,
                                             int64_t padTop, int64_t padLeft, int64_t tileRows, int64_t tileColumns,
                                             int64_t firstTile, int64_t tileCount, float *transformed,
                                             int64_t plane) {
    for (int64_t c = 0; c < channels; c++) {
        ag_tile_position p = tile_position(firstTile, tileRows, tileColumns);
        for (int64_t t = 0; t < tileCount;) {
            const int64_t run = winograd_run(p, tileColumns, tileCount - t);
            const float *image = images + (p.image * channels + c) * height * width;
            const int64_t y0 = 2 * p.row - padTop, x0 = 2 * p.column - padLeft;
            float *out = transformed + c * tileCount + t;
            // Groups start at the run's tiles s with x0 + 2s >= 0 and end at those with
            // x0 + 2s + 2L + 2 <= width (the last tile's patch inside); patch rows above or
            // below the image read zeros.
            const int64_t firstGroup = x0 >= 0 ? 0 : (1 - x0) / 2;
            const int64_t lastGroup = winograd_last_group(width - x0 - 2 * L - 2, run - L);
            const float *rowStarts[4];
            for (int i = 0; i < 4; i++) rowStarts[i] = y0 + i >= 0 && y0 + i < height ? image + (y0 + i) * width + x0 : NULL;
            for (int64_t g = 0; g < run;) {
                const int64_t start = winograd_group_start(g, firstGroup, lastGroup, L);
                if (start < 0) {
                    winograd_input_tile(image, height, width, y0, x0 + 2 * g, out + g, plane);
                    g++;
                    continue;
                }
                const float *rows[4];
                for (int i = 0; i < 4; i++) rows[i] = rowStarts[i] != NULL ? rowStarts[i] + 2 * start : ag_winograd_zeros;
                AG_WG_NAME(input_lanes)(rows, out + start, plane);
                g = start + L;
            }
            t += run;
            winograd_advance(&p, run, tileRows, tileColumns);
        }
    }
}

AG_WG_TARGET
static void AG_WG_NAME(winograd_output_tiles)(const float *products, int64_t outChannels, int64_t outHeight,
                                              int64_t outWidth, int64_t tileRows, int64_t tileColumns,
                                              int64_t firstTile, int64_t tileCount, int64_t plane,
                                              const float *bias, float *output) {
    for (int64_t o = 0; o < outChannels; o++) {
        ag_tile_position p = tile_position(firstTile, tileRows, tileColumns);
        const float shift = bias != NULL ? bias[o] : 0.0f;
        for (int64_t t = 0; t < tileCount;) {
            const int64_t run = winograd_run(p, tileColumns, tileCount - t);
            const float *m = products + o * tileCount + t;
            const int64_t y = 2 * p.row, x = 2 * p.column;
            float *target = output + ((p.image * outChannels + o) * outHeight + y) * outWidth + x;
            // Groups end at the run's tiles s with x + 2s + 2L <= outWidth, when both output
            // rows exist.
            const int64_t lastGroup = y + 2 <= outHeight ? winograd_last_group(outWidth - x - 2 * L, run - L) : -1;
            for (int64_t g = 0; g < run;) {
                const int64_t start = winograd_group_start(g, 0, lastGroup, L);
                if (start < 0) {
                    winograd_output_tile(m + g, plane, outHeight - y, outWidth - x - 2 * g, shift, target + 2 * g,
                                         outWidth);
                    g++;
                    continue;
                }
                AG_WG_NAME(output_lanes)(m + start, plane, shift, target + 2 * start, outWidth);
                g = start + L;
            }
            t += run;
            winograd_advance(&p, run, tileRows, tileColumns);
        }
    }
}

/// The gradient transform A·δ·Aᵀ of L neighbouring tiles of one tile row: row a of the first
/// one's 2×2 output gradient at `rows[a]` (2·L floats from there), the others' 2, 4, ...
/// floats to its right; tile `l` goes to lane `l` of the 16 planes at `out`.
AG_WG_TARGET
static inline __attribute__((always_inline)) void AG_WG_NAME(gradient_lanes)(const float *const rows[2], float *out,
                                                                           int64_t plane) {
    V r[4][2];   // A δ
    for (int a = 0; a < 2; a++) {
        const V first = *(const V *)rows[a], second = *(const V *)(rows[a] + L);
        r[a][0] = AG_WG_EVEN(first, second);
        r[a][1] = AG_WG_ODD(first, second);
    }
    for (int b = 0; b < 2; b++) {
        const V d0 = r[0][b], d1 = r[1][b];
        r[0][b] = d0;
        r[1][b] = d0 + d1;
        r[2][b] = d0 - d1;
        r[3][b] = -d1;
    }
    for (int i = 0; i < 4; i++) {   // (A δ) Aᵀ
        *(V *)(out + (4 * i + 0) * plane) = r[i][0];
        *(V *)(out + (4 * i + 1) * plane) = r[i][0] + r[i][1];
        *(V *)(out + (4 * i + 2) * plane) = r[i][0] - r[i][1];
        *(V *)(out + (4 * i + 3) * plane) = -r[i][1];
    }
}

AG_WG_TARGET
static void AG_WG_NAME(winograd_gradient_tiles)(const float *gradient, int64_t outChannels, int64_t outHeight,
                                                int64_t outWidth, int64_t tileRows, int64_t tileColumns,
                                                int64_t firstTile, int64_t tileCount, float *transformed,
                                                int64_t plane) {
    for (int64_t o = 0; o < outChannels; o++) {
        ag_tile_position p = tile_position(firstTile, tileRows, tileColumns);
        for (int64_t t = 0; t < tileCount;) {
            const int64_t run = winograd_run(p, tileColumns, tileCount - t);
            const int64_t y = 2 * p.row, x = 2 * p.column;
            const float *source = gradient + ((p.image * outChannels + o) * outHeight + y) * outWidth + x;
            float *out = transformed + o * tileCount + t;
            // Groups end at the run's tiles s with x + 2s + 2L <= outWidth; a second row past
            // the output's last reads zeros.
            const int64_t lastGroup = winograd_last_group(outWidth - x - 2 * L, run - L);
            for (int64_t g = 0; g < run;) {
                const int64_t start = winograd_group_start(g, 0, lastGroup, L);
                if (start < 0) {
                    winograd_gradient_tile(source + 2 * g, outHeight - y, outWidth - x - 2 * g, outWidth, out + g, plane);
                    g++;
                    continue;
                }
                const float *rows[2] = {source + 2 * start, y + 1 < outHeight ? source + outWidth + 2 * start : ag_winograd_zeros};
                AG_WG_NAME(gradient_lanes)(rows, out + start, plane);
                g = start + L;
            }
            t += run;
            winograd_advance(&p, run, tileRows, tileColumns);
        }
    }
}

#undef AG_WG_EVEN
#undef AG_WG_ODD
#undef AG_WG_ZIP_LOW
#undef AG_WG_ZIP_HIGH
#undef V
#undef L
#undef AG_WG_LANES
#undef AG_WG_TARGET
#undef AG_WG_NAME
