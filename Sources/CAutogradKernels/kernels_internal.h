#ifndef AG_KERNELS_INTERNAL_H
#define AG_KERNELS_INTERNAL_H

// Declarations shared by the kernel files; not part of the module's public interface.

#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define AG_X86 1
/// Marks a function compiled for AVX2 + FMA; call it only when the CPU has them.
#define AG_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define AG_X86 0
#define AG_TARGET_AVX2
#endif

/// A GEMM micro-kernel: C[0..<mr, 0..<nr] (row stride ldc) = (accumulate ? C : 0)
/// + Σ_k a[k*mr + i] * b[k*nr + j], reading kc steps of a packed A sliver (mr values per
/// step) and a packed B sliver (nr values per step).
typedef void (*ag_microkernel_fn)(int64_t kc, const float *a, const float *b,
                                  float *c, int64_t ldc, bool accumulate);

/// Register block and cache block sizes of one kernel path, with its micro-kernel.
typedef struct {
    int64_t mr, nr;     // register block: the micro-kernel's tile of C
    int64_t mc, kc, nc; // cache blocks: A block mc x kc (L2), B block kc x nc (L3)
    ag_microkernel_fn kernel;
} ag_gemm_config;

/// The GEMM configuration of `path` (AG_KERNEL_PATH_...).
const ag_gemm_config *ag_gemm_config_for(int32_t path);

#endif
