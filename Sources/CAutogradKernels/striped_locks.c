#include "CAutogradKernels.h"

#include <pthread.h>

// A fixed table of mutexes shared by every object that needs one only briefly (a leaf's
// gradient accumulation): an object's address picks its stripe, so no object carries a
// lock of its own and unrelated objects rarely wait for each other.

#define AG_LOCK_STRIPES 64

static pthread_mutex_t stripes[AG_LOCK_STRIPES] = {
#define AG_M PTHREAD_MUTEX_INITIALIZER
    AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M,
    AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M,
    AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M,
    AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M, AG_M,
#undef AG_M
};

static pthread_mutex_t *stripe_of(const void *object) {
    uintptr_t address = (uintptr_t)object;
    // Objects are at least 16-byte aligned: mix the higher bits down before picking.
    address ^= address >> 12;
    return &stripes[(address >> 4) % AG_LOCK_STRIPES];
}

void ag_object_lock(const void *object) { pthread_mutex_lock(stripe_of(object)); }

void ag_object_unlock(const void *object) { pthread_mutex_unlock(stripe_of(object)); }
