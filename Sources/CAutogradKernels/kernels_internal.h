#ifndef AG_KERNELS_INTERNAL_H
#define AG_KERNELS_INTERNAL_H

// Declarations shared by the kernel files; not part of the module's public interface.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "CAutogradKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define AG_X86 1
/// Marks a function compiled for AVX2 + FMA; call it only when the CPU has them.
#define AG_TARGET_AVX2 __attribute__((target("avx2,fma")))
/// Marks a function compiled for AVX-512 (foundation) with AVX2 + FMA; call it only when
/// the CPU has them.
#define AG_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define AG_X86 0
#define AG_TARGET_AVX2
#define AG_TARGET_AVX512
#endif

/// Whether kernel path `path` runs the AVX2 + FMA kernels: the AVX2 path and both AVX-512
/// ones (an AVX-512 CPU runs the AVX2 kernels of every routine that has no wider one).
static inline bool ag_path_runs_avx2(int32_t path) {
    return AG_X86 && path != AG_KERNEL_PATH_PORTABLE;
}

/// Whether the kernel path in use runs the AVX2 + FMA kernels (ag_path_runs_avx2).
static inline bool ag_avx2_kernels_active(void) {
    return ag_path_runs_avx2(ag_kernel_path_get());
}

/// Calls the variant of routine `name` compiled for kernel path `path` with the
/// parenthesised `args`, as an expression of the routine's type: `name##_avx2`,
/// `name##_avx512` or `name##_avx512_on_avx2` on those paths (x86-64), `name##_portable`
/// on any other. `path` is read more than once: pass a variable.
#if AG_X86
#define AG_ON_KERNEL_PATH(path, name, args)                                  \
    ((path) == AG_KERNEL_PATH_AVX2              ? name##_avx2 args           \
     : (path) == AG_KERNEL_PATH_AVX512          ? name##_avx512 args         \
     : (path) == AG_KERNEL_PATH_AVX512_ON_AVX2  ? name##_avx512_on_avx2 args \
                                                : name##_portable args)
#else
#define AG_ON_KERNEL_PATH(path, name, args) ((void)(path), name##_portable args)
#endif

/// Tells the CPU this is a spin-wait loop (x86 pause, arm64 yield).
static inline void ag_cpu_relax(void) {
#if AG_X86
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// A GEMM micro-kernel: C[0..<mr, 0..<nr] (row stride ldc) = (accumulate ? C : 0)
/// + Σ_k a[k*mr + i] * b[k*nr + j], reading kc steps of a packed A sliver (mr values per
/// step) and a packed B sliver (nr values per step).
typedef void (*ag_microkernel_fn)(int64_t kc, const float *a, const float *b,
                                  float *c, int64_t ldc, bool accumulate);

/// A GEMM micro-kernel that reads its mr rows of A in place instead of from a packed
/// sliver: row i at a + i * lda, step k at + k. Otherwise as ag_microkernel_fn.
typedef void (*ag_microkernel_in_place_fn)(int64_t kc, const float *a, int64_t lda, const float *b,
                                           float *c, int64_t ldc, bool accumulate);

/// A GEMM micro-kernel for the first `rows` (≤ mr) rows of a full-width tile: A's row r at
/// step k is a[r * rowStride + k * stepStride] (a packed sliver: 1, mr; rows read in place:
/// lda, 1), and B's step k is the nr values at b + k * bStride (a packed sliver: nr; the
/// rows of a row-major B read in place: its row stride). Otherwise as ag_microkernel_fn.
typedef void (*ag_microkernel_rows_fn)(int64_t kc, const float *a, int64_t rowStride, int64_t stepStride,
                                       const float *b, int64_t bStride, float *c, int64_t ldc, bool accumulate,
                                       int64_t rows);

/// A GEMM packing routine: copies `lanes` lanes x `depth` steps of a strided matrix (lane l
/// at step k is src[l * laneStride + k * depthStride]; either stride may be 0 or negative)
/// into ceil(lanes / width) slivers, sliver s at dst + s * width * depth holding step k's
/// `width` lanes at k * width; lanes past `lanes` are zero. A lane is a row of A or a
/// column of B. See gemm_packing.c.
typedef void (*ag_pack_fn)(int64_t width, const float *src, int64_t laneStride, int64_t depthStride,
                           int64_t lanes, int64_t depth, float *dst);

/// The packing routine in plain C, for any width and strides.
void ag_pack_portable(int64_t width, const float *src, int64_t laneStride, int64_t depthStride,
                      int64_t lanes, int64_t depth, float *dst);

/// A packing routine for a matrix whose steps are runs at arbitrary offsets: lane l at
/// step k is src[depthOffsets[k] + l]. Otherwise as ag_pack_fn (B of
/// ag_sgemm_offset_rows, a lane being a column).
typedef void (*ag_pack_rows_fn)(int64_t width, const float *src, const int64_t *depthOffsets,
                                int64_t lanes, int64_t depth, float *dst);

/// The offset-rows packing routine in plain C, for any width.
void ag_pack_rows_portable(int64_t width, const float *src, const int64_t *depthOffsets,
                           int64_t lanes, int64_t depth, float *dst);

#if AG_X86
/// ag_pack_portable with AVX2 for the common cases: the transposing one (unit depth
/// stride) by 8 x 8 register transposes for widths 6 and multiples of 4, straight copies
/// (lane stride 1) for widths 6, 12 and multiples of 16, and broadcasts (lane stride 0)
/// for width 6 and multiples of 16; call it only when the CPU has AVX2.
void ag_pack_avx2(int64_t width, const float *src, int64_t laneStride, int64_t depthStride,
                  int64_t lanes, int64_t depth, float *dst);

/// ag_pack_rows_portable with AVX2 moves for widths that are multiples of 16; call it only
/// when the CPU has AVX2.
void ag_pack_rows_avx2(int64_t width, const float *src, const int64_t *depthOffsets,
                       int64_t lanes, int64_t depth, float *dst);
#endif

/// The most elements in one micro-kernel tile of any path and element type (the AVX-512
/// float kernel's 12 x 32), the size of the scratch tile for edges.
#define AG_GEMM_MAX_TILE (12 * 32)

/// Register block and cache block sizes of one kernel path, with its micro-kernel and
/// packing routine.
typedef struct {
    int64_t mr, nr;     // register block: the micro-kernel's tile of C
    int64_t mc, kc, nc; // cache blocks: A block mc x kc (L2), B block kc x nc (L3); mc is a multiple of mr
    ag_microkernel_fn kernel;
    ag_microkernel_in_place_fn kernelInPlace;   // NULL: A is always packed
    ag_microkernel_rows_fn kernelRows;          // NULL: short tiles run the full kernel aside
    ag_pack_fn pack;
    ag_pack_rows_fn packRows;
} ag_gemm_config;

/// The GEMM configuration of `path` (AG_KERNEL_PATH_...).
const ag_gemm_config *ag_gemm_config_for(int32_t path);

// MARK: Double precision

/// ag_microkernel_fn for doubles.
typedef void (*ag_dmicrokernel_fn)(int64_t kc, const double *a, const double *b,
                                   double *c, int64_t ldc, bool accumulate);

/// ag_microkernel_in_place_fn for doubles.
typedef void (*ag_dmicrokernel_in_place_fn)(int64_t kc, const double *a, int64_t lda, const double *b,
                                            double *c, int64_t ldc, bool accumulate);

/// ag_microkernel_rows_fn for doubles.
typedef void (*ag_dmicrokernel_rows_fn)(int64_t kc, const double *a, int64_t rowStride, int64_t stepStride,
                                        const double *b, int64_t bStride, double *c, int64_t ldc, bool accumulate,
                                        int64_t rows);

/// ag_pack_fn for doubles.
typedef void (*ag_dpack_fn)(int64_t width, const double *src, int64_t laneStride, int64_t depthStride,
                            int64_t lanes, int64_t depth, double *dst);

/// ag_pack_portable for doubles.
void ag_dpack_portable(int64_t width, const double *src, int64_t laneStride, int64_t depthStride,
                       int64_t lanes, int64_t depth, double *dst);

/// ag_pack_rows_fn for doubles.
typedef void (*ag_dpack_rows_fn)(int64_t width, const double *src, const int64_t *depthOffsets,
                                 int64_t lanes, int64_t depth, double *dst);

/// ag_pack_rows_portable for doubles.
void ag_dpack_rows_portable(int64_t width, const double *src, const int64_t *depthOffsets,
                            int64_t lanes, int64_t depth, double *dst);

#if AG_X86
/// ag_dpack_portable with AVX2 for the transposing case (unit depth stride) by 4 x 4
/// register transposes, for even widths; call it only when the CPU has AVX2.
void ag_dpack_avx2(int64_t width, const double *src, int64_t laneStride, int64_t depthStride,
                   int64_t lanes, int64_t depth, double *dst);
#endif

/// ag_gemm_config for doubles.
typedef struct {
    int64_t mr, nr;
    int64_t mc, kc, nc;
    ag_dmicrokernel_fn kernel;
    ag_dmicrokernel_in_place_fn kernelInPlace;
    ag_dmicrokernel_rows_fn kernelRows;
    ag_dpack_fn pack;
    ag_dpack_rows_fn packRows;
} ag_dgemm_config;

/// The double-precision GEMM configuration of `path` (AG_KERNEL_PATH_...).
const ag_dgemm_config *ag_dgemm_config_for(int32_t path);

// MARK: Packing buffers

/// The two per-thread packing buffers of the GEMM drivers: one for the operand a job
/// shares between threads (owned by the thread that called the GEMM) and one for the
/// calling thread's own panels.
enum { AG_GEMM_SHARED_BUFFER, AG_GEMM_PRIVATE_BUFFER, AG_GEMM_BUFFER_KINDS };

/// This thread's packing buffer of kind `kind` (AG_GEMM_..._BUFFER), grown to at least
/// `bytes` bytes, 64-byte aligned. It stays valid until the next call with the same kind
/// on this thread. See gemm.c.
void *ag_gemm_thread_buffer(int kind, size_t bytes);

#endif
