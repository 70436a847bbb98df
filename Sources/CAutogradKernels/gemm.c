#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <pthread.h>
#include <stdlib.h>

// Single-precision GEMM: the driver of gemm_driver.h instantiated for float, and the
// per-thread packing buffers every instantiation shares.

// MARK: Per-thread packing buffers

static pthread_key_t buffer_key;
static pthread_once_t buffer_key_once = PTHREAD_ONCE_INIT;

/// A growable 64-byte aligned block of memory.
typedef struct { void *base; size_t capacity; } pack_buffer;

/// Frees a thread's buffers when it exits.
static void free_buffers(void *value) {
    pack_buffer *buffers = value;
    for (int kind = 0; kind < AG_GEMM_BUFFER_KINDS; kind++) free(buffers[kind].base);
    free(buffers);
}

/// Creates the key of the per-thread buffers, once.
static void make_buffer_key(void) { pthread_key_create(&buffer_key, free_buffers); }

void *ag_gemm_thread_buffer(int kind, size_t bytes) {
    pthread_once(&buffer_key_once, make_buffer_key);
    pack_buffer *buffers = pthread_getspecific(buffer_key);
    if (buffers == NULL) {
        buffers = calloc(AG_GEMM_BUFFER_KINDS, sizeof *buffers);
        if (buffers == NULL) abort();
        pthread_setspecific(buffer_key, buffers);
    }
    pack_buffer *buffer = &buffers[kind];
    if (buffer->capacity < bytes) {
        free(buffer->base);
        size_t rounded = (bytes + 63) & ~(size_t)63;
        buffer->base = aligned_alloc(64, rounded);
        if (buffer->base == NULL) abort();
        buffer->capacity = bytes;
    }
    return buffer->base;
}

// MARK: The float driver

#define AG_REAL float
#define AG_GEMM_CONFIG ag_gemm_config
#define AG_GEMM_CONFIG_FOR ag_gemm_config_for
#define AG_GEMM_STRIDED ag_sgemm_strided
#include "gemm_driver.h"

void ag_sgemm(bool transposeA, bool transposeB,
              int64_t M, int64_t N, int64_t K,
              const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc) {
    ag_sgemm_strided(M, N, K, A, transposeA ? 1 : lda, transposeA ? lda : 1,
                     B, transposeB ? 1 : ldb, transposeB ? ldb : 1, beta, C, ldc);
}

void ag_sgemm_offset_rows(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                          const float *B, const int64_t *rowOffsets, float beta, float *C, int64_t ldc) {
    gemm_matrices(M, N, K, (strided_matrix){A, lda, 1, NULL}, (strided_matrix){B, 0, 1, rowOffsets}, beta, C, ldc);
}
