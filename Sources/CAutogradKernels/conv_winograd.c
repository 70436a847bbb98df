#include "CAutogradKernels.h"
#include "kernels_internal.h"

// The transforms of Winograd's minimal filtering F(2×2, 3×3) for stride-1 3×3 correlations
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). One 2×2 block
// of outputs (a tile) of one output channel is
//   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
// where d_c is the 4×4 input patch of channel c under the tile and g_c the 3×3 kernel. The
// sum over channels, for each of the 16 positions ξ of the 4×4 products, is a matrix product
// U_ξ [rows × depth] · V_ξ [depth × tiles], so the GEMM does 16 multiply-adds per tile and
// channel pair where im2col + GEMM does 36 (4 outputs × 9 taps): 2.25× fewer. The weight
// gradient is the adjoint of Y in g: for the output gradient δ of a tile,
//   dW = Gᵀ [ Σ_tiles (A δ Aᵀ) ⊙ (Bᵀ d B) ] G
// where the sum over tiles, for each position ξ, is the product of the transformed gradient
// [outChannels × tiles] and the transposed transformed input [tiles × channels].
//
//        ⎡1  0 −1  0⎤        ⎡ 1    0    0 ⎤        ⎡1  1  1  0⎤
//   Bᵀ = ⎢0  1  1  0⎥    G = ⎢1/2  1/2  1/2⎥   Aᵀ = ⎣0  1 −1 −1⎦
//        ⎢0 −1  1  0⎥        ⎢1/2 −1/2  1/2⎥
//        ⎣0  1  0 −1⎦        ⎣ 0    0    1 ⎦
//
// Transformed values are stored plane by plane: position ξ = 4·i + j of row r and column k
// at transformed[ξ · planeStride + r · columns + k], so each plane is a row-major matrix for
// the GEMM. The transforms of tiles write and read the 16 planes side by side; planes a
// multiple of 4 KB apart would fall on the same sets of the L1 cache, more than its ways
// (the input gradient of the benchmark's 32→64 layer, 64 channels × 80 tiles per plane, ran
// its input transform 4× slower that way), so the callers leave a cache line between them.
//
// The kernel transform and the weight gradient's final one (once per call) are scalar, below;
// the tile transforms run several tiles per vector, in conv_winograd_body.h, compiled once
// per kernel path, with the one-tile forms below for the tiles at the borders.

/// Applies G on the left of the 3-vector column (a, b, c): (a, (a+b+c)/2, (a−b+c)/2, c).
#define AG_WINOGRAD_G(a, b, c, out0, out1, out2, out3) \
    do { out0 = (a); out1 = 0.5f * ((a) + (b) + (c)); out2 = 0.5f * ((a) - (b) + (c)); out3 = (c); } while (0)

void ag_winograd_kernels(const float *weight, int64_t outChannels, int64_t channels, bool flipTransposed,
                         float *transformed) {
    const int64_t rows = flipTransposed ? channels : outChannels;
    const int64_t depth = flipTransposed ? outChannels : channels;
    const int64_t plane = rows * depth;   // read once per GEMM, not side by side: no gap needed
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t k = 0; k < depth; k++) {
            const float *w = flipTransposed ? weight + (k * channels + r) * 9 : weight + (r * channels + k) * 9;
            float g[3][3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) g[i][j] = flipTransposed ? w[(2 - i) * 3 + (2 - j)] : w[i * 3 + j];
            }
            float t[4][3];   // G g
            for (int j = 0; j < 3; j++) AG_WINOGRAD_G(g[0][j], g[1][j], g[2][j], t[0][j], t[1][j], t[2][j], t[3][j]);
            float *out = transformed + r * depth + k;
            for (int i = 0; i < 4; i++) {   // (G g) Gᵀ
                float u0, u1, u2, u3;
                AG_WINOGRAD_G(t[i][0], t[i][1], t[i][2], u0, u1, u2, u3);
                out[(4 * i + 0) * plane] = u0;
                out[(4 * i + 1) * plane] = u1;
                out[(4 * i + 2) * plane] = u2;
                out[(4 * i + 3) * plane] = u3;
            }
        }
    }
}

/// The tile `tile` of a batch, as its image, tile row and tile column.
typedef struct {
    int64_t image, row, column;
} ag_tile_position;

static inline ag_tile_position tile_position(int64_t tile, int64_t tileRows, int64_t tileColumns) {
    const int64_t perImage = tileRows * tileColumns, within = tile % perImage;
    return (ag_tile_position){tile / perImage, within / tileColumns, within % tileColumns};
}

/// Moves `p` to the next tile in row-major order over the batch.
static inline void next_tile(ag_tile_position *p, int64_t tileRows, int64_t tileColumns) {
    if (++p->column < tileColumns) return;
    p->column = 0;
    if (++p->row < tileRows) return;
    p->row = 0;
    p->image++;
}

/// The tiles of the run that starts at `p`: up to the end of its tile row or of the block
/// (`tilesLeft`).
static inline int64_t winograd_run(ag_tile_position p, int64_t tileColumns, int64_t tilesLeft) {
    const int64_t run = tileColumns - p.column;
    return run < tilesLeft ? run : tilesLeft;
}

/// Moves `p` past a run of `run` tiles, which ends at or before the end of its tile row.
static inline void winograd_advance(ag_tile_position *p, int64_t run, int64_t tileRows, int64_t tileColumns) {
    p->column += run - 1;
    next_tile(p, tileRows, tileColumns);
}

/// A row of zeros as long as any path's group of tiles reads (2·16 + 2 floats): the patch
/// rows of a group that lie above or below the image.
static const float ag_winograd_zeros[2 * 16 + 2];

/// The last tile of a run at which a group may start: the largest s <= lastInRun with
/// 2·s <= room (a group at s needs 2·s more floats than one at the run's start, whose spare
/// floats are `room`), or −1 when there is none.
static inline int64_t winograd_last_group(int64_t room, int64_t lastInRun) {
    if (room < 0 || lastInRun < 0) return -1;
    return room / 2 < lastInRun ? room / 2 : lastInRun;
}

/// Where a group of `lanes` tiles that takes tile g starts: at g itself when it may, else as
/// late as it may (groups may start from `firstGroup` to `lastGroup`), or −1 when no group
/// takes tile g.
static inline int64_t winograd_group_start(int64_t g, int64_t firstGroup, int64_t lastGroup, int64_t lanes) {
    const int64_t start = g < lastGroup ? g : lastGroup;
    return start >= firstGroup && start + lanes > g ? start : -1;
}

/// The input transform of one tile whose patch starts at row y0 and column x0 of `image`
/// [height, width] (zeros outside it), into `out[ξ·plane]`.
static inline void winograd_input_tile(const float *image, int64_t height, int64_t width, int64_t y0, int64_t x0,
                                       float *out, int64_t plane) {
    float d[4][4];
    for (int i = 0; i < 4; i++) {
        const int64_t y = y0 + i;
        for (int j = 0; j < 4; j++) {
            const int64_t x = x0 + j;
            d[i][j] = (y >= 0 && y < height && x >= 0 && x < width) ? image[y * width + x] : 0.0f;
        }
    }
    float b[4][4];   // Bᵀ d
    for (int j = 0; j < 4; j++) {
        b[0][j] = d[0][j] - d[2][j];
        b[1][j] = d[1][j] + d[2][j];
        b[2][j] = d[2][j] - d[1][j];
        b[3][j] = d[1][j] - d[3][j];
    }
    for (int i = 0; i < 4; i++) {   // (Bᵀ d) B
        out[(4 * i + 0) * plane] = b[i][0] - b[i][2];
        out[(4 * i + 1) * plane] = b[i][1] + b[i][2];
        out[(4 * i + 2) * plane] = b[i][2] - b[i][1];
        out[(4 * i + 3) * plane] = b[i][1] - b[i][3];
    }
}

/// The output transform of one tile from `m[ξ·plane]`, plus `shift`, into `target` (rows
/// `outWidth` apart), of which `rowsLeft` rows and `columnsLeft` columns are inside the output.
static inline void winograd_output_tile(const float *m, int64_t plane, int64_t rowsLeft, int64_t columnsLeft,
                                        float shift, float *target, int64_t outWidth) {
    float s[2][4];   // Aᵀ M
    for (int j = 0; j < 4; j++) {
        const float m0 = m[j * plane], m1 = m[(4 + j) * plane], m2 = m[(8 + j) * plane], m3 = m[(12 + j) * plane];
        s[0][j] = m0 + m1 + m2;
        s[1][j] = m1 - m2 - m3;
    }
    for (int i = 0; i < 2 && i < rowsLeft; i++) {   // (Aᵀ M) A
        target[i * outWidth] = s[i][0] + s[i][1] + s[i][2] + shift;
        if (columnsLeft > 1) target[i * outWidth + 1] = s[i][1] - s[i][2] - s[i][3] + shift;
    }
}

/// The gradient transform of one tile from its 2×2 output gradient at `source` (rows
/// `outWidth` apart), of which `rowsLeft` rows and `columnsLeft` columns are inside the output
/// (zeros outside), into `out[ξ·plane]`.
static inline void winograd_gradient_tile(const float *source, int64_t rowsLeft, int64_t columnsLeft,
                                          int64_t outWidth, float *out, int64_t plane) {
    float d[2][2];
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++) d[a][b] = a < rowsLeft && b < columnsLeft ? source[a * outWidth + b] : 0.0f;
    }
    float r[4][2];   // A δ
    for (int b = 0; b < 2; b++) {
        r[0][b] = d[0][b];
        r[1][b] = d[0][b] + d[1][b];
        r[2][b] = d[0][b] - d[1][b];
        r[3][b] = -d[1][b];
    }
    for (int i = 0; i < 4; i++) {   // (A δ) Aᵀ
        out[(4 * i + 0) * plane] = r[i][0];
        out[(4 * i + 1) * plane] = r[i][0] + r[i][1];
        out[(4 * i + 2) * plane] = r[i][0] - r[i][1];
        out[(4 * i + 3) * plane] = -r[i][1];
    }
}

#define AG_WG_LANES 4
#define AG_WG_TARGET
#define AG_WG_NAME(x) x##_portable
#include "conv_winograd_body.h"

#if AG_X86
#define AG_WG_LANES 8
#define AG_WG_TARGET AG_TARGET_AVX2
#define AG_WG_NAME(x) x##_avx2
#include "conv_winograd_body.h"

#define AG_WG_LANES 16
#define AG_WG_TARGET AG_TARGET_AVX512
#define AG_WG_NAME(x) x##_avx512
#include "conv_winograd_body.h"

#define AG_WG_LANES 16
#define AG_WG_TARGET AG_TARGET_AVX2
#define AG_WG_NAME(x) x##_avx512_on_avx2
#include "conv_winograd_body.h"
#endif

void ag_winograd_input_tiles(const float *images, int64_t channels, int64_t height, int64_t width,
                             int64_t padTop, int64_t padLeft, int64_t tileRows, int64_t tileColumns,
                             int64_t firstTile, int64_t tileCount, float *transformed, int64_t planeStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, winograd_input_tiles,
                      (images, channels, height, width, padTop, padLeft, tileRows, tileColumns, firstTile, tileCount,
                       transformed, planeStride));
}

void ag_winograd_output_tiles(const float *products, int64_t outChannels, int64_t outHeight, int64_t outWidth,
                              int64_t tileRows, int64_t tileColumns, int64_t firstTile, int64_t tileCount,
                              int64_t planeStride, const float *bias, float *output) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, winograd_output_tiles,
                      (products, outChannels, outHeight, outWidth, tileRows, tileColumns, firstTile, tileCount,
                       planeStride, bias, output));
}

void ag_winograd_gradient_tiles(const float *gradient, int64_t outChannels, int64_t outHeight, int64_t outWidth,
                                int64_t tileRows, int64_t tileColumns, int64_t firstTile, int64_t tileCount,
                                float *transformed, int64_t planeStride) {
    int32_t path = ag_kernel_path_get();
    AG_ON_KERNEL_PATH(path, winograd_gradient_tiles,
                      (gradient, outChannels, outHeight, outWidth, tileRows, tileColumns, firstTile, tileCount,
                       transformed, planeStride));
}

/// Applies Gᵀ on the left of the 4-vector column (a, b, c, d): (a + (b+c)/2, (b−c)/2, (b+c)/2 + d).
#define AG_WINOGRAD_GT(a, b, c, d, out0, out1, out2)                                              \
    do { out0 = (a) + 0.5f * ((b) + (c)); out1 = 0.5f * ((b) - (c)); out2 = 0.5f * ((b) + (c)) + (d); } while (0)

void ag_winograd_weight_gradient(const float *products, int64_t outChannels, int64_t channels, float *weightGradient) {
    const int64_t plane = outChannels * channels;
    for (int64_t o = 0; o < outChannels; o++) {
        for (int64_t c = 0; c < channels; c++) {
            const float *m = products + o * channels + c;
            float t[3][4];   // Gᵀ P
            for (int j = 0; j < 4; j++) {
                AG_WINOGRAD_GT(m[j * plane], m[(4 + j) * plane], m[(8 + j) * plane], m[(12 + j) * plane],
                               t[0][j], t[1][j], t[2][j]);
            }
            float *out = weightGradient + (o * channels + c) * 9;
            for (int i = 0; i < 3; i++) {   // (Gᵀ P) G
                AG_WINOGRAD_GT(t[i][0], t[i][1], t[i][2], t[i][3], out[3 * i], out[3 * i + 1], out[3 * i + 2]);
            }
        }
    }
}
