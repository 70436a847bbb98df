#include "CAutogradKernels.h"

#include <pthread.h>
#include <stdlib.h>

// Training allocates and frees the same large buffers every step (activations, gradients,
// im2col columns). The C library serves large buffers with fresh pages from the kernel and
// hands them back when they are freed, so every step would fault in and zero the same
// pages again (12-15% of a training step in profiles). This cache keeps freed buffers of
// AG_CACHE_MIN_BYTES or more in size classes of its own and hands them out again, without
// changing how the C library treats the rest of the process. It holds at most a limit of
// bytes (freeing to the system past it), can be emptied, and is shared by all threads
// under one mutex (a pop or push per large buffer, far cheaper than its page faults).

/// Size classes: four per power of two from 2^AG_CACHE_MIN_SHIFT up to 2^AG_CACHE_MAX_SHIFT
/// bytes, so a buffer wastes at most a quarter of its size.
#define AG_CACHE_MIN_SHIFT 16
#define AG_CACHE_MAX_SHIFT 40
#define AG_CACHE_STEPS 4
#define AG_CACHE_CLASSES ((AG_CACHE_MAX_SHIFT - AG_CACHE_MIN_SHIFT) * AG_CACHE_STEPS)
#define AG_CACHE_MIN_BYTES ((size_t)1 << AG_CACHE_MIN_SHIFT)

/// A freed buffer waiting for reuse; the link lives in the buffer itself.
typedef struct ag_free_block {
    struct ag_free_block *next;
} ag_free_block;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static ag_free_block *cache_heads[AG_CACHE_CLASSES];
static size_t cache_bytes;
static size_t cache_limit = (size_t)1 << 31;   // 2 GiB unless set

/// The class of a buffer of `bytes` (at least AG_CACHE_MIN_BYTES) and its capacity.
static int size_class(size_t bytes, size_t *capacity) {
    int shift = 63 - __builtin_clzll((unsigned long long)bytes);   // 2^shift <= bytes
    size_t base = (size_t)1 << shift;
    size_t step = base / AG_CACHE_STEPS;
    size_t index = (bytes - base + step - 1) / step;                 // 0 ... AG_CACHE_STEPS
    *capacity = base + index * step;
    return (shift - AG_CACHE_MIN_SHIFT) * AG_CACHE_STEPS + (int)index;
}

size_t ag_buffer_capacity(size_t bytes) {
    if (bytes < AG_CACHE_MIN_BYTES) return bytes;
    size_t capacity;
    size_class(bytes, &capacity);
    return capacity;
}

void *ag_buffer_allocate(size_t capacity) {
    if (capacity >= AG_CACHE_MIN_BYTES) {
        size_t rounded;
        int index = size_class(capacity, &rounded);
        if (index < AG_CACHE_CLASSES) {
            pthread_mutex_lock(&cache_lock);
            ag_free_block *block = cache_heads[index];
            if (block) {
                cache_heads[index] = block->next;
                cache_bytes -= rounded;
            }
            pthread_mutex_unlock(&cache_lock);
            if (block) return block;
        }
    }
    // aligned_alloc wants a multiple of the alignment (cached classes are multiples of 16 KiB).
    return aligned_alloc(64, (capacity + 63) / 64 * 64);
}

void ag_buffer_free(void *buffer, size_t capacity) {
    if (!buffer) return;
    if (capacity >= AG_CACHE_MIN_BYTES) {
        size_t rounded;
        int index = size_class(capacity, &rounded);
        if (index < AG_CACHE_CLASSES && rounded == capacity) {
            pthread_mutex_lock(&cache_lock);
            int kept = cache_bytes + capacity <= cache_limit;
            if (kept) {
                ag_free_block *block = buffer;
                block->next = cache_heads[index];
                cache_heads[index] = block;
                cache_bytes += capacity;
            }
            pthread_mutex_unlock(&cache_lock);
            if (kept) return;
        }
    }
    free(buffer);
}

size_t ag_buffer_cache_empty(void) {
    pthread_mutex_lock(&cache_lock);
    ag_free_block *lists[AG_CACHE_CLASSES];
    for (int index = 0; index < AG_CACHE_CLASSES; index++) {
        lists[index] = cache_heads[index];
        cache_heads[index] = NULL;
    }
    size_t released = cache_bytes;
    cache_bytes = 0;
    pthread_mutex_unlock(&cache_lock);
    for (int index = 0; index < AG_CACHE_CLASSES; index++) {
        for (ag_free_block *block = lists[index]; block;) {
            ag_free_block *next = block->next;
            free(block);
            block = next;
        }
    }
    return released;
}

size_t ag_buffer_cache_bytes(void) {
    pthread_mutex_lock(&cache_lock);
    size_t bytes = cache_bytes;
    pthread_mutex_unlock(&cache_lock);
    return bytes;
}

void ag_buffer_cache_set_limit(size_t bytes) {
    pthread_mutex_lock(&cache_lock);
    cache_limit = bytes;
    pthread_mutex_unlock(&cache_lock);
    if (ag_buffer_cache_bytes() > bytes) ag_buffer_cache_empty();
}

size_t ag_buffer_cache_limit(void) {
    pthread_mutex_lock(&cache_lock);
    size_t bytes = cache_limit;
    pthread_mutex_unlock(&cache_lock);
    return bytes;
}
