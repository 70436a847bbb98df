// The unfolding loops of im2col.c, included once per kernel path after defining
//
//   AG_I2C_LANES    floats per vector move: 4 (portable), 8 (AVX2) or 16 (AVX-512, and the
//                   AVX-512 code compiled for AVX2)
//   AG_I2C_TARGET   the functions' target attribute (empty for the portable path)
//   AG_I2C_NAME(x)  x with the path's suffix
//
// to get AG_I2C_NAME(im2col_range) and AG_I2C_NAME(col2im_range), ag_im2col_range's and
// ag_col2im_range's contracts. The runs are copied (or added) with moves of AG_I2C_LANES
// floats, then one of 8 and one of 4 where they fit, then single floats: each path moves
// an output row of 56 floats in 4 to 14 steps. Only data moves and single additions, so
// every path gives the same bits.

#ifndef AG_I2C_NAME
#error "define AG_I2C_LANES, AG_I2C_TARGET and AG_I2C_NAME first"
#endif

/// AG_I2C_LANES floats, loaded and stored unaligned; may alias any float.
typedef float AG_I2C_NAME(ag_vrun) __attribute__((vector_size(4 * AG_I2C_LANES), aligned(4), may_alias));
#define V AG_I2C_NAME(ag_vrun)
#define L AG_I2C_LANES

/// dst[0..<n] = src[0..<n], or dst[0..<n] += src[0..<n] when `add` (a constant at every
/// call, so each form compiles to its own loop).
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(move_run)(float *restrict dst, const float *restrict src,
                                                                      int64_t n, bool add) {
#define AG_I2C_MOVE(TYPE)                                                                    \
    do {                                                                                     \
        TYPE moved = *(const TYPE *)(src + i);                                               \
        if (add) moved += *(const TYPE *)(dst + i);                                          \
        *(TYPE *)(dst + i) = moved;                                                          \
    } while (0)
    int64_t i = 0;
    for (; i + L <= n; i += L) AG_I2C_MOVE(V);
#if AG_I2C_LANES > 8
    if (i + 8 <= n) {
        AG_I2C_MOVE(ag_float8);
        i += 8;
    }
#endif
#if AG_I2C_LANES > 4
    if (i + 4 <= n) {
        AG_I2C_MOVE(ag_float4);
        i += 4;
    }
#endif
    for (; i < n; i++) AG_I2C_MOVE(float);
#undef AG_I2C_MOVE
}

/// dst[0..<n] = src[0..<n].
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(copy_run)(float *restrict dst, const float *restrict src,
                                                                      int64_t n) {
    AG_I2C_NAME(move_run)(dst, src, n, false);
}

/// dst[0..<n] += src[0..<n].
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(add_run)(float *restrict dst, const float *restrict src,
                                                                     int64_t n) {
    AG_I2C_NAME(move_run)(dst, src, n, true);
}

/// dst[0..<n] = src[0], src[stride], ... (a copy_run when stride is 1).
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(gather_run)(float *restrict dst, const float *restrict src,
                                                                        int64_t stride, int64_t n) {
    if (stride == 1) {
        AG_I2C_NAME(copy_run)(dst, src, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
}


/// dst[0], dst[stride], ... += src[0..<n] (an add_run when stride is 1).
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(scatter_add_run)(float *restrict dst, int64_t stride,
                                                                             const float *restrict src, int64_t n) {
    if (stride == 1) {
        AG_I2C_NAME(add_run)(dst, src, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i * stride] += src[i];
}

/// dst[0..<n] = 0.
AG_I2C_TARGET
static inline __attribute__((always_inline)) void AG_I2C_NAME(zero_run)(float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + L <= n; i += L) *(V *)(dst + i) = (V){0};
#if AG_I2C_LANES > 4
    if (i + 4 <= n) {
        *(ag_float4 *)(dst + i) = (ag_float4){0};
        i += 4;
    }
#endif
    for (; i < n; i++) dst[i] = 0.0f;
}

AG_I2C_TARGET
static void AG_I2C_NAME(im2col_range)(const float *image, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, float *columns, int64_t ldColumns) {
    (void)outH;
    int64_t firstRow = first / outW, firstColumn = first % outW, row = 0;
    // Runs of whole output rows (whole images, and most blocks) take a shorter loop.
    bool wholeRows = firstColumn == 0 && (last - first) % outW == 0;
    for (int64_t c = 0; c < channels; c++) {
        const float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                // target[ox] is the column of (oy, ox); it moves on by outW per output row.
                float *target = columns + row * ldColumns - firstColumn;
                int64_t y = firstRow * strideH - padH + ki * dilationH;
                if (wholeRows) {
                    for (int64_t oy = 0; oy < (last - first) / outW; oy++, target += outW, y += strideH) {
                        if (y < 0 || y >= height) {
                            AG_I2C_NAME(zero_run)(target, outW);
                            continue;
                        }
                        AG_I2C_NAME(zero_run)(target, lo);
                        AG_I2C_NAME(gather_run)(target + lo, plane + y * width + offset + lo * strideW, strideW, hi - lo);
                        AG_I2C_NAME(zero_run)(target + hi, outW - hi);
                    }
                    continue;
                }
                for (int64_t p = first, ox0 = firstColumn; p < last; target += outW, y += strideH, ox0 = 0) {
                    int64_t ox1 = min64(outW, ox0 + (last - p));
                    p += ox1 - ox0;
                    if (y < 0 || y >= height) {
                        AG_I2C_NAME(zero_run)(target + ox0, ox1 - ox0);
                        continue;
                    }
                    int64_t a = min64(max64(lo, ox0), ox1), b = max64(min64(hi, ox1), a);
                    AG_I2C_NAME(zero_run)(target + ox0, a - ox0);
                    AG_I2C_NAME(gather_run)(target + a, plane + y * width + offset + a * strideW, strideW, b - a);
                    AG_I2C_NAME(zero_run)(target + b, ox1 - b);
                }
            }
        }
    }
}

AG_I2C_TARGET
static void AG_I2C_NAME(col2im_range)(const float *columns, int64_t channels, int64_t height, int64_t width,
                     int64_t kernelH, int64_t kernelW,
                     int64_t strideH, int64_t strideW,
                     int64_t padH, int64_t padW,
                     int64_t dilationH, int64_t dilationW,
                     int64_t outH, int64_t outW,
                     int64_t first, int64_t last, int64_t ldColumns, float *image) {
    (void)outH;
    int64_t firstRow = first / outW, firstColumn = first % outW, row = 0;
    bool wholeRows = firstColumn == 0 && (last - first) % outW == 0;
    for (int64_t c = 0; c < channels; c++) {
        float *plane = image + c * height * width;
        for (int64_t ki = 0; ki < kernelH; ki++) {
            for (int64_t kj = 0; kj < kernelW; kj++, row++) {
                int64_t offset = kj * dilationW - padW, lo, hi;
                valid_columns(outW, width, strideW, offset, &lo, &hi);
                const float *source = columns + row * ldColumns - firstColumn;   // source[ox], as in im2col
                int64_t y = firstRow * strideH - padH + ki * dilationH;
                if (wholeRows) {
                    for (int64_t oy = 0; oy < (last - first) / outW; oy++, source += outW, y += strideH) {
                        if (y >= 0 && y < height) {
                            AG_I2C_NAME(scatter_add_run)(plane + y * width + offset + lo * strideW, strideW, source + lo, hi - lo);
                        }
                    }
                    continue;
                }
                for (int64_t p = first, ox0 = firstColumn; p < last; source += outW, y += strideH, ox0 = 0) {
                    int64_t ox1 = min64(outW, ox0 + (last - p));
                    p += ox1 - ox0;
                    if (y < 0 || y >= height) continue;
                    int64_t a = max64(lo, ox0), b = min64(hi, ox1);
                    AG_I2C_NAME(scatter_add_run)(plane + y * width + offset + a * strideW, strideW, source + a, b - a);
                }
            }
        }
    }
}

#undef V
#undef L
#undef AG_I2C_LANES
#undef AG_I2C_TARGET
#undef AG_I2C_NAME
