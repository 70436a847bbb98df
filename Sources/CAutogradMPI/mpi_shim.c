// The MPI calls the distributed module makes, for the two ABIs libraries ship: Open
// MPI's (handles are the addresses of global objects such as `ompi_mpi_comm_world`,
// MPI_IN_PLACE is 1) and MPICH's (handles are integer constants, MPI_IN_PLACE is -1),
// which Intel MPI and MVAPICH share. Each function is looked up once with dlsym and
// called through a pointer of the exact C type its ABI declares.

#include "CAutogradMPI.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// MPI_THREAD_SERIALIZED, the same in both ABIs: any thread may call MPI, one at a time.
#define AG_MPI_THREAD_SERIALIZED 2

// MPICH's handles (mpi.h of MPICH 3 and 4).
#define MPICH_COMM_WORLD 0x44000000
static const int mpich_types[] = {
    0x4c00040a, // MPI_FLOAT
    0x4c00080b, // MPI_DOUBLE
    0x4c000137, // MPI_INT8_T
    0x4c00013b, // MPI_UINT8_T
    0x4c000439, // MPI_INT32_T
    0x4c00083a, // MPI_INT64_T
    0x4c00013f, // MPI_C_BOOL
    0x4c000238, // MPI_INT16_T
};
static const int mpich_ops[] = {
    0x58000003, // MPI_SUM
    0x58000001, // MPI_MAX
    0x58000002, // MPI_MIN
    0x58000004, // MPI_PROD
    0x58000007, // MPI_LOR
    0x58000005, // MPI_LAND
};

// Open MPI's handles are the addresses of these objects.
static const char *const ompi_type_names[] = {
    "ompi_mpi_float", "ompi_mpi_double", "ompi_mpi_int8_t", "ompi_mpi_uint8_t",
    "ompi_mpi_int32_t", "ompi_mpi_int64_t", "ompi_mpi_c_bool", "ompi_mpi_int16_t",
};
static const char *const ompi_op_names[] = {
    "ompi_mpi_op_sum", "ompi_mpi_op_max", "ompi_mpi_op_min",
    "ompi_mpi_op_prod", "ompi_mpi_op_lor", "ompi_mpi_op_land",
};

#define KIND_COUNT ((int)(sizeof mpich_types / sizeof mpich_types[0]))
#define OP_COUNT ((int)(sizeof mpich_ops / sizeof mpich_ops[0]))

static struct {
    ag_mpi_flavour flavour;
    void *library;
    void *initialized, *finalized, *init_thread, *finalize, *comm_rank, *comm_size;
    void *iallreduce, *ibcast, *iallgather, *ireduce_scatter_block, *ibarrier, *test;
    void *abort, *error_string, *library_version;
    void *ompi_comm_world;
    void *ompi_types[KIND_COUNT];
    void *ompi_ops[OP_COUNT];
} mpi;

// This process's rank and the world's size, for the finalize watchdog's message.
static int world_rank = -1, world_size = 0;

// A status buffer larger than either ABI's MPI_Status (24 and 20 bytes), so no
// MPI_STATUS_IGNORE (0 in Open MPI, 1 in MPICH) is needed.
typedef struct { int64_t words[8]; } status_buffer;

static int lookup(void **slot, const char *name, char *error, size_t error_size) {
    *slot = dlsym(mpi.library, name);
    if (*slot == NULL) {
        snprintf(error, error_size, "it has no symbol %s (MPI 3.0 or later is needed)", name);
        return 2;
    }
    return 0;
}

int ag_mpi_load(const char *path, char *error, size_t error_size) {
    if (mpi.flavour != AG_MPI_NOT_LOADED) return 0;
    // RTLD_GLOBAL: Open MPI's plugins, which it opens itself, resolve symbols of libmpi.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_size, "%s", reason ? reason : "dlopen failed");
        return 1;
    }
    mpi.library = library;
    struct { void **slot; const char *name; } functions[] = {
        {&mpi.initialized, "MPI_Initialized"}, {&mpi.finalized, "MPI_Finalized"},
        {&mpi.init_thread, "MPI_Init_thread"}, {&mpi.finalize, "MPI_Finalize"},
        {&mpi.comm_rank, "MPI_Comm_rank"}, {&mpi.comm_size, "MPI_Comm_size"},
        {&mpi.iallreduce, "MPI_Iallreduce"}, {&mpi.ibcast, "MPI_Ibcast"},
        {&mpi.iallgather, "MPI_Iallgather"}, {&mpi.ireduce_scatter_block, "MPI_Ireduce_scatter_block"},
        {&mpi.ibarrier, "MPI_Ibarrier"}, {&mpi.test, "MPI_Test"}, {&mpi.abort, "MPI_Abort"},
        {&mpi.error_string, "MPI_Error_string"}, {&mpi.library_version, "MPI_Get_library_version"},
    };
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        if (lookup(functions[i].slot, functions[i].name, error, error_size) != 0) return 2;
    }
    mpi.ompi_comm_world = dlsym(library, "ompi_mpi_comm_world");
    if (mpi.ompi_comm_world != NULL) {
        for (int i = 0; i < KIND_COUNT; i++) {
            if (lookup(&mpi.ompi_types[i], ompi_type_names[i], error, error_size) != 0) return 2;
        }
        for (int i = 0; i < OP_COUNT; i++) {
            if (lookup(&mpi.ompi_ops[i], ompi_op_names[i], error, error_size) != 0) return 2;
        }
        mpi.flavour = AG_MPI_OPEN_MPI;
    } else {
        mpi.flavour = AG_MPI_MPICH;
    }
    return 0;
}

ag_mpi_flavour ag_mpi_loaded_flavour(void) { return mpi.flavour; }

static int is_open_mpi(void) { return mpi.flavour == AG_MPI_OPEN_MPI; }
static void *ompi_type(int kind) { return mpi.ompi_types[kind]; }
static void *ompi_op(int op) { return mpi.ompi_ops[op]; }
static const void *in_place(const void *send) {
    if (send != NULL) return send;
    return is_open_mpi() ? (const void *)(intptr_t)1 : (const void *)(intptr_t)-1;
}

int ag_mpi_initialize(int *rank, int *size) {
    typedef int (*flag_fn)(int *);
    int initialized = 0;
    int code = ((flag_fn)mpi.initialized)(&initialized);
    if (code != 0) return code;
    if (!initialized) {
        int provided = 0;
        code = ((int (*)(int *, char ***, int, int *))mpi.init_thread)(NULL, NULL, AG_MPI_THREAD_SERIALIZED, &provided);
        if (code != 0) return code;
    }
    if (is_open_mpi()) {
        typedef int (*query_fn)(void *, int *);
        code = ((query_fn)mpi.comm_rank)(mpi.ompi_comm_world, rank);
        if (code == 0) code = ((query_fn)mpi.comm_size)(mpi.ompi_comm_world, size);
    } else {
        typedef int (*query_fn)(int, int *);
        code = ((query_fn)mpi.comm_rank)(MPICH_COMM_WORLD, rank);
        if (code == 0) code = ((query_fn)mpi.comm_size)(MPICH_COMM_WORLD, size);
    }
    world_rank = *rank;
    world_size = *size;
    return code;
}

int ag_mpi_is_active(void) {
    if (mpi.flavour == AG_MPI_NOT_LOADED) return 0;
    typedef int (*flag_fn)(int *);
    int initialized = 0, finalized = 0;
    ((flag_fn)mpi.initialized)(&initialized);
    ((flag_fn)mpi.finalized)(&finalized);
    return initialized && !finalized;
}

int ag_mpi_finalize(void) {
    if (!ag_mpi_is_active()) return 0;
    return ((int (*)(void))mpi.finalize)();
}

static double finalize_deadline = 60;
static int finalize_deadline_set = 0;

void ag_mpi_set_finalize_deadline(double seconds) {
    if (seconds > 0 && (!finalize_deadline_set || seconds > finalize_deadline)) {
        finalize_deadline = seconds;
        finalize_deadline_set = 1;
    }
}

static void *finalize_watchdog(void *unused) {
    (void)unused;
    struct timespec delay;
    delay.tv_sec = (time_t)finalize_deadline;
    delay.tv_nsec = (long)((finalize_deadline - (double)delay.tv_sec) * 1e9);
    while (nanosleep(&delay, &delay) != 0) {}
    char message[256];
    int length = snprintf(message, sizeof message,
                          "autograd: rank %d of %d: MPI_Finalize did not complete within %g s; another process has "
                          "probably hung. Exiting.\n", world_rank, world_size, finalize_deadline);
    if (length > 0) {
        ssize_t written = write(2, message, (size_t)length < sizeof message ? (size_t)length : sizeof message - 1);
        (void)written;
    }
    _exit(1);
    return NULL;
}

int ag_mpi_finalize_with_deadline(void) {
    if (!ag_mpi_is_active()) return 0;
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, finalize_watchdog, NULL) == 0) pthread_detach(watchdog);
    return ag_mpi_finalize();
}

int ag_mpi_abort(int code) {
    if (is_open_mpi()) return ((int (*)(void *, int))mpi.abort)(mpi.ompi_comm_world, code);
    return ((int (*)(int, int))mpi.abort)(MPICH_COMM_WORLD, code);
}

int ag_mpi_iallreduce(const void *send, void *receive, int count, int kind, int op, ag_mpi_request *request) {
    if (is_open_mpi()) {
        typedef int (*fn)(const void *, void *, int, void *, void *, void *, void **);
        return ((fn)mpi.iallreduce)(in_place(send), receive, count, ompi_type(kind), ompi_op(op), mpi.ompi_comm_world,
                                    (void **)&request->storage);
    }
    typedef int (*fn)(const void *, void *, int, int, int, int, int *);
    return ((fn)mpi.iallreduce)(in_place(send), receive, count, mpich_types[kind], mpich_ops[op], MPICH_COMM_WORLD,
                                (int *)&request->storage);
}

int ag_mpi_ibcast(void *buffer, int count, int kind, int root, ag_mpi_request *request) {
    if (is_open_mpi()) {
        typedef int (*fn)(void *, int, void *, int, void *, void **);
        return ((fn)mpi.ibcast)(buffer, count, ompi_type(kind), root, mpi.ompi_comm_world, (void **)&request->storage);
    }
    typedef int (*fn)(void *, int, int, int, int, int *);
    return ((fn)mpi.ibcast)(buffer, count, mpich_types[kind], root, MPICH_COMM_WORLD, (int *)&request->storage);
}

int ag_mpi_iallgather(const void *send, void *receive, int count, int kind, ag_mpi_request *request) {
    if (is_open_mpi()) {
        typedef int (*fn)(const void *, int, void *, void *, int, void *, void *, void **);
        void *type = ompi_type(kind);
        return ((fn)mpi.iallgather)(send, count, type, receive, count, type, mpi.ompi_comm_world,
                                    (void **)&request->storage);
    }
    typedef int (*fn)(const void *, int, int, void *, int, int, int, int *);
    int type = mpich_types[kind];
    return ((fn)mpi.iallgather)(send, count, type, receive, count, type, MPICH_COMM_WORLD, (int *)&request->storage);
}

int ag_mpi_ireduce_scatter_block(const void *send, void *receive, int count, int kind, int op, ag_mpi_request *request) {
    if (is_open_mpi()) {
        typedef int (*fn)(const void *, void *, int, void *, void *, void *, void **);
        return ((fn)mpi.ireduce_scatter_block)(send, receive, count, ompi_type(kind), ompi_op(op), mpi.ompi_comm_world,
                                               (void **)&request->storage);
    }
    typedef int (*fn)(const void *, void *, int, int, int, int, int *);
    return ((fn)mpi.ireduce_scatter_block)(send, receive, count, mpich_types[kind], mpich_ops[op], MPICH_COMM_WORLD,
                                           (int *)&request->storage);
}

int ag_mpi_ibarrier(ag_mpi_request *request) {
    if (is_open_mpi()) return ((int (*)(void *, void **))mpi.ibarrier)(mpi.ompi_comm_world, (void **)&request->storage);
    return ((int (*)(int, int *))mpi.ibarrier)(MPICH_COMM_WORLD, (int *)&request->storage);
}

int ag_mpi_test(ag_mpi_request *request, int *done) {
    status_buffer status;
    if (is_open_mpi()) return ((int (*)(void **, int *, void *))mpi.test)((void **)&request->storage, done, &status);
    return ((int (*)(int *, int *, void *))mpi.test)((int *)&request->storage, done, &status);
}

int ag_mpi_library_version(char *buffer, int size) {
    // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI and 8192 in MPICH.
    static char version[8192];
    int length = 0;
    int code = ((int (*)(char *, int *))mpi.library_version)(version, &length);
    if (code != 0 || size <= 0) return code;
    snprintf(buffer, (size_t)size, "%.*s", length, version);
    return 0;
}

int ag_mpi_error_string(int code, char *buffer, int size) {
    // MPI_MAX_ERROR_STRING is 256 in Open MPI and 1024 in MPICH.
    char message[1024];
    int length = 0;
    int result = ((int (*)(int, char *, int *))mpi.error_string)(code, message, &length);
    if (result != 0 || size <= 0) return result;
    snprintf(buffer, (size_t)size, "%.*s", length, message);
    return 0;
}
