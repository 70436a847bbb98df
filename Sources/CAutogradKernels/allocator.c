#include "CAutogradKernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Training allocates and frees the same large buffers every step (activations, gradients,
// im2col columns). glibc serves buffers above a size threshold with fresh mmap'd pages
// and hands freed memory at the top of the heap back to the kernel, so every step would
// fault in and zero the same pages again (12-15% of a training step in profiles). Here
// the threshold is raised and trimming is turned off, so freed buffers stay in the heap
// and the next step reuses them: the process keeps its peak footprint instead of
// returning it between steps. Other C libraries are left as they are.

/// Largest buffer glibc may serve from the heap (its maximum on 64-bit systems).
#define AG_MMAP_THRESHOLD (32 * 1024 * 1024)
/// Free memory glibc keeps at the top of the heap before returning it.
#define AG_TRIM_THRESHOLD (1024L * 1024 * 1024)

void ag_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, AG_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, AG_TRIM_THRESHOLD);
#endif
}
