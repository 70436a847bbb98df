#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Run-time choice of the kernel path. The best path the CPU supports is chosen on first
// use, unless AUTOGRAD_KERNEL names another one (portable, avx2, avx512) or ag_kernel_path_set
// forces one. Everything compiles for the baseline architecture; the faster paths live
// in functions with per-function target attributes and are only called after detection.

static bool cpu_has_avx2_fma(void) {
#if AG_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

static bool cpu_has_avx512(void) {
#if AG_X86
    // The CPU feature check also asks the operating system whether it saves the 512-bit
    // registers (XCR0), so a kernel without AVX-512 support reads as no AVX-512.
    return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

bool ag_kernel_path_available(int32_t path) {
    switch (path) {
    case AG_KERNEL_PATH_PORTABLE: return true;
    case AG_KERNEL_PATH_AVX2: return cpu_has_avx2_fma();
    case AG_KERNEL_PATH_AVX512: return cpu_has_avx512();
    case AG_KERNEL_PATH_AVX512_ON_AVX2: return cpu_has_avx2_fma();
    default: return false;
    }
}

static _Atomic int32_t active_path = -1;

static int32_t best_path(void) {
    const char *forced = getenv("AUTOGRAD_KERNEL");
    if (forced != NULL) {
        if (strcmp(forced, "portable") == 0) return AG_KERNEL_PATH_PORTABLE;
        if (strcmp(forced, "avx2") == 0 && ag_kernel_path_available(AG_KERNEL_PATH_AVX2)) return AG_KERNEL_PATH_AVX2;
        if (strcmp(forced, "avx512") == 0 && ag_kernel_path_available(AG_KERNEL_PATH_AVX512)) return AG_KERNEL_PATH_AVX512;
    }
    if (ag_kernel_path_available(AG_KERNEL_PATH_AVX512)) return AG_KERNEL_PATH_AVX512;
    if (ag_kernel_path_available(AG_KERNEL_PATH_AVX2)) return AG_KERNEL_PATH_AVX2;
    return AG_KERNEL_PATH_PORTABLE;
}

int32_t ag_kernel_path_get(void) {
    int32_t path = atomic_load_explicit(&active_path, memory_order_relaxed);
    if (path < 0) {
        path = best_path();
        atomic_store_explicit(&active_path, path, memory_order_relaxed);
    }
    return path;
}

bool ag_kernel_path_set(int32_t path) {
    if (path < 0) {
        atomic_store_explicit(&active_path, best_path(), memory_order_relaxed);
        return true;
    }
    if (!ag_kernel_path_available(path)) return false;
    atomic_store_explicit(&active_path, path, memory_order_relaxed);
    return true;
}

bool ag_parse_gemm_blocks(const char *text, int64_t mr, int64_t nr, int64_t *mc, int64_t *kc, int64_t *nc) {
    if (text == NULL) return false;
    long long m, k, n;
    char rest;
    if (sscanf(text, "%lld,%lld,%lld%c", &m, &k, &n, &rest) != 3) return false;
    if (m <= 0 || k <= 0 || n <= 0 || m % mr != 0 || k % 8 != 0 || n % nr != 0) return false;
    *mc = m;
    *kc = k;
    *nc = n;
    return true;
}
