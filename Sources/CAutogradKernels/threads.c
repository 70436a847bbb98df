// sched_getaffinity, sched_setaffinity, sched_getcpu and the CPU_* macros are GNU extensions.
#define _GNU_SOURCE

#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

// A small persistent thread pool for fork-join loops (GEMM partitions, batches).
//
// The caller posts a job (a function, a context and a task count), takes part in it,
// and returns when every task has run. Tasks are handed out through one 64-bit ticket
// that holds the job's generation in its high half and the next task index in its low
// half, so a worker that wakes late can never run a task of a newer job by mistake.
// Idle workers spin briefly (the next job often follows within microseconds) and then
// sleep on a condition variable. A call made while the pool is busy (another thread, or
// a task that itself calls ag_parallel_for) runs its tasks serially on the caller.
// A new worker starts on a CPU of its own (see start_on_own_cpu), and the scheduler is
// free to move it from there. The call that starts workers waits until they run, as an
// OpenMP team's first region does: a new thread took from 0.05 to 2.3 ms to first run on
// a 2-CPU KVM guest, and a short program's first few hundred products, each shorter than
// that, all ran on the caller alone.

#define AG_MAX_THREADS 64
#define AG_SPIN_ROUNDS 20000

static _Atomic int32_t requested_threads = 0;   // 0: not yet decided

static int32_t default_thread_count(void) {
    const char *env = getenv("AUTOGRAD_NUM_THREADS");
    if (env != NULL) {
        int value = atoi(env);
        if (value > 0) return value > AG_MAX_THREADS ? AG_MAX_THREADS : value;
    }
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count > AG_MAX_THREADS ? AG_MAX_THREADS : count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1) online = 1;
    return online > AG_MAX_THREADS ? AG_MAX_THREADS : (int32_t)online;
}

int32_t ag_get_num_threads(void) {
    int32_t count = atomic_load_explicit(&requested_threads, memory_order_relaxed);
    if (count == 0) {
        count = default_thread_count();
        atomic_store_explicit(&requested_threads, count, memory_order_relaxed);
    }
    return count;
}

void ag_set_num_threads(int32_t count) {
    if (count < 1) count = default_thread_count();
    if (count > AG_MAX_THREADS) count = AG_MAX_THREADS;
    atomic_store_explicit(&requested_threads, count, memory_order_relaxed);
}

// The job being run. Fields are atomics so a worker that reads them while a newer job is
// being posted sees either value without a data race; the ticket check rejects stale ones.
static _Atomic(ag_task_fn) job_fn;
static _Atomic(void *) job_context;
static _Atomic int64_t job_count;
static _Atomic uint64_t job_ticket;      // generation << 32 | next task index
static _Atomic uint32_t job_generation;
static _Atomic int64_t job_done;

static atomic_flag pool_busy = ATOMIC_FLAG_INIT;
static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static _Atomic int32_t sleeping_workers;
static int32_t started_workers;          // guarded by pool_busy
static _Atomic int32_t running_workers;  // workers that have started their loop

/// Runs tasks of generation `generation` until none are left.
static void run_tasks(uint32_t generation) {
    ag_task_fn fn = atomic_load(&job_fn);
    void *context = atomic_load(&job_context);
    int64_t count = atomic_load(&job_count);
    for (;;) {
        uint64_t ticket = atomic_load(&job_ticket);
        if ((uint32_t)(ticket >> 32) != generation) return;
        int64_t index = (int64_t)(ticket & 0xffffffffu);
        if (index >= count) return;
        if (atomic_compare_exchange_weak(&job_ticket, &ticket, ticket + 1)) {
            fn(context, index, count);
            atomic_fetch_add(&job_done, 1);
        }
    }
}

#if defined(__linux__)
/// Moves a new worker to the `index`-th CPU (1-based, cyclically) after `creatorCPU` among
/// those it may run on, then lets it run on all of them again. Linux may start a thread on
/// its creator's CPU, and a worker that spins there beside a caller that computes is not
/// moved to an idle CPU while both stay busy (they are cache-hot): on a 2-CPU KVM guest a
/// third to a half of short processes ran their 256 x 256 products at one CPU's speed.
/// The affinity is the worker's own and is restored at once, so nothing stays pinned.
static void start_on_own_cpu(int32_t index, int creatorCPU) {
    cpu_set_t allowed;
    if (creatorCPU < 0 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    int others = CPU_COUNT(&allowed) - (CPU_ISSET(creatorCPU, &allowed) ? 1 : 0);
    if (others < 1) return;
    int wanted = (index - 1) % others + 1, seen = 0;
    for (int step = 1; step < CPU_SETSIZE; step++) {
        int cpu = (creatorCPU + step) % CPU_SETSIZE;
        if (!CPU_ISSET(cpu, &allowed) || ++seen < wanted) continue;
        cpu_set_t target;
        CPU_ZERO(&target);
        CPU_SET(cpu, &target);
        if (sched_setaffinity(0, sizeof target, &target) == 0) sched_setaffinity(0, sizeof allowed, &allowed);
        return;
    }
}
#endif

/// A worker's start: its index among the workers (from 1) and the CPU its creator ran on.
typedef struct {
    int32_t index;
    int32_t creatorCPU;
} worker_start;

/// Each worker's start, written before its thread is created (guarded by pool_busy).
static worker_start worker_starts[AG_MAX_THREADS];

static void *worker_main(void *argument) {
#if defined(__linux__)
    const worker_start *start = argument;
    start_on_own_cpu(start->index, start->creatorCPU);
#else
    (void)argument;
#endif
    uint32_t seen = atomic_load(&job_generation);
    atomic_fetch_add(&running_workers, 1);
    for (;;) {
        uint32_t generation = seen;
        for (int round = 0; round < AG_SPIN_ROUNDS; round++) {
            generation = atomic_load(&job_generation);
            if (generation != seen) break;
            ag_cpu_relax();
        }
        if (generation == seen) {
            atomic_fetch_add(&sleeping_workers, 1);
            pthread_mutex_lock(&pool_mutex);
            while ((generation = atomic_load(&job_generation)) == seen) {
                pthread_cond_wait(&pool_wake, &pool_mutex);
            }
            pthread_mutex_unlock(&pool_mutex);
            atomic_fetch_sub(&sleeping_workers, 1);
        }
        seen = generation;
        run_tasks(generation);
    }
    return NULL;
}

void ag_parallel_for(int64_t count, ag_task_fn fn, void *context) {
    if (count <= 0) return;
    int32_t threads = ag_get_num_threads();
    if (count == 1 || threads <= 1 || count > 0xffffffffLL || atomic_flag_test_and_set(&pool_busy)) {
        for (int64_t i = 0; i < count; i++) fn(context, i, count);
        return;
    }
    while (started_workers < threads - 1) {
        worker_start *start = &worker_starts[started_workers];
        start->index = started_workers + 1;
#if defined(__linux__)
        start->creatorCPU = sched_getcpu();
#else
        start->creatorCPU = -1;
#endif
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, start);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        started_workers++;
    }
    while (atomic_load(&running_workers) < started_workers) sched_yield();
    uint32_t generation = atomic_load(&job_generation) + 1;
    atomic_store(&job_fn, fn);
    atomic_store(&job_context, context);
    atomic_store(&job_count, count);
    atomic_store(&job_done, 0);
    atomic_store(&job_ticket, (uint64_t)generation << 32);
    atomic_store(&job_generation, generation);
    if (atomic_load(&sleeping_workers) > 0) {
        pthread_mutex_lock(&pool_mutex);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_mutex);
    }
    run_tasks(generation);
    // Wait for tasks other threads took. Spin briefly, then yield: on a loaded machine the
    // thread we wait for may need this very core to finish.
    int64_t spins = 0;
    while (atomic_load(&job_done) < count) {
        if (++spins < AG_SPIN_ROUNDS) ag_cpu_relax(); else sched_yield();
    }
    atomic_flag_clear(&pool_busy);
}
