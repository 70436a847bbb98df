#ifndef CAUTOGRAD_MPI_H
#define CAUTOGRAD_MPI_H

// A thin layer over an MPI library loaded at run time with dlopen. No MPI header is
// needed to build it: the few types and constants used are declared in mpi_shim.c for
// the two ABIs in use (Open MPI's, where handles are addresses of global objects, and
// MPICH's, shared by Intel MPI and MVAPICH, where handles are integer constants).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which ABI the loaded library follows.
typedef enum {
    AG_MPI_NOT_LOADED = 0,
    AG_MPI_OPEN_MPI = 1,
    AG_MPI_MPICH = 2,
} ag_mpi_flavour;

/// Element types, in the order of the Swift `CollectiveElementKind` raw values.
typedef enum {
    AG_MPI_FLOAT32 = 0,
    AG_MPI_FLOAT64 = 1,
    AG_MPI_INT8 = 2,
    AG_MPI_UINT8 = 3,
    AG_MPI_INT32 = 4,
    AG_MPI_INT64 = 5,
    AG_MPI_BOOL = 6,
    AG_MPI_INT16 = 7,
} ag_mpi_kind;

/// Reduction operations.
typedef enum {
    AG_MPI_SUM = 0,
    AG_MPI_MAX = 1,
    AG_MPI_MIN = 2,
    AG_MPI_PROD = 3,
    AG_MPI_LOR = 4,
    AG_MPI_LAND = 5,
} ag_mpi_op;

/// Storage for one MPI_Request of either ABI (a pointer in Open MPI, an int in MPICH).
typedef struct {
    int64_t storage;
} ag_mpi_request;

/// Loads the library at `path` (a file name or path for dlopen) and looks up every
/// function used. Returns 0 on success; 1 when the library cannot be opened and 2 when a
/// function or handle is missing, with a message in `error`.
int ag_mpi_load(const char *path, char *error, size_t error_size);

/// The ABI of the loaded library (AG_MPI_NOT_LOADED before a successful load).
ag_mpi_flavour ag_mpi_loaded_flavour(void);

/// Initialises MPI (MPI_THREAD_SERIALIZED) unless it already is, and reads this
/// process's rank and the world's size. Returns MPI's error code (0 for success).
int ag_mpi_initialize(int *rank, int *size);

/// Whether MPI_Init has run and MPI_Finalize has not.
int ag_mpi_is_active(void);

/// MPI_Finalize, when MPI is active. Returns MPI's error code.
int ag_mpi_finalize(void);

/// Sets how long ag_mpi_finalize_with_deadline waits (the longest collective timeout).
void ag_mpi_set_finalize_deadline(double seconds);

/// MPI_Finalize, when MPI is active, under a watchdog: MPI_Finalize waits for every
/// process, so if one has hung, this process prints a message naming its rank and exits
/// with status 1 after the deadline (and the launcher then ends the job).
int ag_mpi_finalize_with_deadline(void);

/// MPI_Abort on MPI_COMM_WORLD; does not return when the library behaves.
int ag_mpi_abort(int code);

/// MPI_Iallreduce on MPI_COMM_WORLD; `send` NULL means in place (MPI_IN_PLACE).
int ag_mpi_iallreduce(const void *send, void *receive, int count, int kind, int op, ag_mpi_request *request);

/// MPI_Ibcast on MPI_COMM_WORLD.
int ag_mpi_ibcast(void *buffer, int count, int kind, int root, ag_mpi_request *request);

/// MPI_Iallgather on MPI_COMM_WORLD, `count` elements from each process.
int ag_mpi_iallgather(const void *send, void *receive, int count, int kind, ag_mpi_request *request);

/// MPI_Ireduce_scatter_block on MPI_COMM_WORLD, `count` elements to each process.
int ag_mpi_ireduce_scatter_block(const void *send, void *receive, int count, int kind, int op, ag_mpi_request *request);

/// MPI_Ibarrier on MPI_COMM_WORLD.
int ag_mpi_ibarrier(ag_mpi_request *request);

/// MPI_Test: sets `done` to 1 when the request has completed (and frees it).
int ag_mpi_test(ag_mpi_request *request, int *done);

/// MPI_Get_library_version into `buffer`; returns MPI's error code.
int ag_mpi_library_version(char *buffer, int size);

/// MPI_Error_string into `buffer`; returns MPI's error code.
int ag_mpi_error_string(int code, char *buffer, int size);


#ifdef __cplusplus
}
#endif

#endif
