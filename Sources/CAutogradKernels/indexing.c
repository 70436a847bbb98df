#include "CAutogradKernels.h"

#include <stdatomic.h>
#include <string.h>

// Gather, scatter and advanced indexing. Elements move as unsigned integers of their
// width (a copy needs no type) and are added as float, double or int64_t.
//
// Along a dimension (gather, scatter, scatter_add) the index shape is walked row by row:
// a row runs along the last dimension, and the offsets of its first element in the three
// operands are carried from row to row, so the inner loop is one multiply-add per operand.
// Every index is checked before the element it addresses is touched.

/// Below this many elements a kernel runs on its caller alone.
enum { AG_INDEX_PARALLEL_MINIMUM = 1 << 15 };

// MARK: Along a dimension

typedef struct {
    ag_along_dim_mode mode;
    int32_t kind;
    int64_t elementSize;
    int64_t rank;
    const int64_t *shape;
    int64_t dim;
    int64_t dimSize;
    const int64_t *index;
    const int64_t *indexStrides;
    char *indexed;
    const int64_t *indexedStrides;
    char *plain;
    const int64_t *plainStrides;
    /// Rows that must stay on one thread (scatter: rows that differ only at `dim`).
    int64_t rowsPerBlock;
    int64_t blocks;
    int64_t tasks;
    /// The lowest bad position met, or -1.
    _Atomic int64_t bad;
} along_dim_job;

/// One row: `index`, `indexed` and `plain` point at the row's first element (the indexed
/// operand without its `dim` term); returns the first bad position in the row, or -1.
#define ALONG_DIM_ROW(NAME, T, STATEMENT)                                                          \
    static int64_t NAME(const int64_t *index, int64_t indexStride, T *indexed, int64_t indexedStride, \
                        int64_t dimStride, T *plain, int64_t plainStride, int64_t length,            \
                        int64_t size) {                                                              \
        for (int64_t j = 0; j < length; j++) {                                                       \
            int64_t i = index[j * indexStride];                                                      \
            if ((uint64_t)i >= (uint64_t)size) return j;                                             \
            T *x = indexed + j * indexedStride + i * dimStride;                                      \
            T *p = plain + j * plainStride;                                                          \
            STATEMENT;                                                                               \
        }                                                                                            \
        return -1;                                                                                   \
    }

ALONG_DIM_ROW(gather_row_8, uint8_t, *p = *x)
ALONG_DIM_ROW(gather_row_16, uint16_t, *p = *x)
ALONG_DIM_ROW(gather_row_32, uint32_t, *p = *x)
ALONG_DIM_ROW(gather_row_64, uint64_t, *p = *x)
ALONG_DIM_ROW(scatter_row_8, uint8_t, *x = *p)
ALONG_DIM_ROW(scatter_row_16, uint16_t, *x = *p)
ALONG_DIM_ROW(scatter_row_32, uint32_t, *x = *p)
ALONG_DIM_ROW(scatter_row_64, uint64_t, *x = *p)
ALONG_DIM_ROW(scatter_add_row_float, float, *x += *p)
ALONG_DIM_ROW(scatter_add_row_double, double, *x += *p)
ALONG_DIM_ROW(scatter_add_row_int64, int64_t, *x += *p)

/// Runs one row of `job` at the given element offsets; returns its first bad position or -1.
static int64_t along_dim_row(const along_dim_job *job, int64_t indexBase, int64_t indexedBase, int64_t plainBase) {
    const int64_t last = job->rank - 1, length = job->shape[last];
    const int64_t indexStride = job->indexStrides[last], plainStride = job->plainStrides[last];
    // Along `dim` itself the index, not the position, moves through the indexed operand.
    const int64_t indexedStride = job->dim == last ? 0 : job->indexedStrides[last];
    const int64_t dimStride = job->indexedStrides[job->dim], size = job->dimSize;
    const int64_t *index = job->index + indexBase;
    const int64_t es = job->elementSize;
    char *indexed = job->indexed + indexedBase * es, *plain = job->plain + plainBase * es;
#define ROW(FN, T) FN(index, indexStride, (T *)indexed, indexedStride, dimStride, (T *)plain, plainStride, length, size)
    switch (job->mode) {
    case AG_ALONG_DIM_GATHER:
        switch (es) {
        case 1: return ROW(gather_row_8, uint8_t);
        case 2: return ROW(gather_row_16, uint16_t);
        case 4: return ROW(gather_row_32, uint32_t);
        default: return ROW(gather_row_64, uint64_t);
        }
    case AG_ALONG_DIM_SCATTER:
        switch (es) {
        case 1: return ROW(scatter_row_8, uint8_t);
        case 2: return ROW(scatter_row_16, uint16_t);
        case 4: return ROW(scatter_row_32, uint32_t);
        default: return ROW(scatter_row_64, uint64_t);
        }
    case AG_ALONG_DIM_SCATTER_ADD:
        switch (job->kind) {
        case AG_ELEMENT_FLOAT32: return ROW(scatter_add_row_float, float);
        case AG_ELEMENT_FLOAT64: return ROW(scatter_add_row_double, double);
        default: return ROW(scatter_add_row_int64, int64_t);
        }
    }
#undef ROW
    return -1;
}

/// Lowers the job's bad position to `position` if it is lower (or the first).
static void record_bad_position(along_dim_job *job, int64_t position) {
    int64_t current = atomic_load_explicit(&job->bad, memory_order_relaxed);
    while ((current < 0 || position < current) &&
           !atomic_compare_exchange_weak_explicit(&job->bad, &current, position, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

/// Runs rows [first, end) of `job`, stopping at the first bad index.
static void along_dim_rows(along_dim_job *job, int64_t first, int64_t end) {
    const int64_t last = job->rank - 1, dim = job->dim;
    const int64_t *shape = job->shape;
    int64_t coordinates[AG_INDEX_MAX_RANK];
    int64_t remainder = first;
    for (int64_t d = last - 1; d >= 0; d--) {
        coordinates[d] = remainder % shape[d];
        remainder /= shape[d];
    }
    int64_t indexBase = 0, indexedBase = 0, plainBase = 0;
    for (int64_t d = 0; d < last; d++) {
        indexBase += coordinates[d] * job->indexStrides[d];
        plainBase += coordinates[d] * job->plainStrides[d];
        if (d != dim) indexedBase += coordinates[d] * job->indexedStrides[d];
    }
    for (int64_t row = first; row < end; row++) {
        int64_t bad = along_dim_row(job, indexBase, indexedBase, plainBase);
        if (bad >= 0) {
            record_bad_position(job, row * shape[last] + bad);
            return;
        }
        for (int64_t d = last - 1; d >= 0; d--) {
            const int64_t indexedStep = d == dim ? 0 : job->indexedStrides[d];
            coordinates[d]++;
            indexBase += job->indexStrides[d];
            plainBase += job->plainStrides[d];
            indexedBase += indexedStep;
            if (coordinates[d] < shape[d]) break;
            indexBase -= job->indexStrides[d] * shape[d];
            plainBase -= job->plainStrides[d] * shape[d];
            indexedBase -= indexedStep * shape[d];
            coordinates[d] = 0;
        }
    }
}

/// One task of a parallel along-dimension job: a share of whole blocks of rows.
static void along_dim_task(void *context, int64_t task, int64_t count) {
    along_dim_job *job = context;
    int64_t firstBlock = task * job->blocks / count, endBlock = (task + 1) * job->blocks / count;
    along_dim_rows(job, firstBlock * job->rowsPerBlock, endBlock * job->rowsPerBlock);
}

int64_t ag_index_along_dimension(ag_along_dim_mode mode, int32_t kind, int64_t elementSize,
                                 int64_t rank, const int64_t *shape, int64_t dim, int64_t dimSize,
                                 const int64_t *index, const int64_t *indexStrides,
                                 void *indexed, const int64_t *indexedStrides,
                                 void *plain, const int64_t *plainStrides) {
    if (rank < 1 || rank > AG_INDEX_MAX_RANK) return -1;
    int64_t total = 1;
    for (int64_t d = 0; d < rank; d++) total *= shape[d];
    if (total == 0) return -1;
    along_dim_job job = {
        .mode = mode, .kind = kind, .elementSize = elementSize, .rank = rank, .shape = shape, .dim = dim,
        .dimSize = dimSize, .index = index, .indexStrides = indexStrides, .indexed = indexed,
        .indexedStrides = indexedStrides, .plain = plain, .plainStrides = plainStrides,
    };
    atomic_init(&job.bad, -1);
    const int64_t rows = total / shape[rank - 1];
    // A scatter keeps together the rows that differ only at `dim`, which may write the
    // same element; a gather only reads through the index, so any split will do.
    job.rowsPerBlock = 1;
    if (mode != AG_ALONG_DIM_GATHER) {
        for (int64_t d = dim; d < rank - 1; d++) job.rowsPerBlock *= shape[d];
    }
    job.blocks = rows / job.rowsPerBlock;
    int64_t threads = ag_get_num_threads();
    job.tasks = total < AG_INDEX_PARALLEL_MINIMUM ? 1 : (threads < job.blocks ? threads : job.blocks);
    if (job.tasks <= 1) {
        along_dim_rows(&job, 0, rows);
    } else {
        ag_parallel_for(job.tasks, along_dim_task, &job);
    }
    return atomic_load_explicit(&job.bad, memory_order_relaxed);
}

// MARK: Through offset lists

typedef struct {
    const char *source;
    char *destination;
    int64_t elementSize;
    int64_t outerCount;
    const int64_t *outerOffsets;
    int64_t indexCount;
    const int64_t *indexOffsets;
    int64_t innerCount;
    const int64_t *innerOffsets;
    int64_t blocks;
} offsets_job;

/// Copies `count` elements of type T from `source` at `offsets` (or consecutive ones when
/// offsets is NULL) into `destination`.
#define STRIDED_READ(NAME, T)                                                                      \
    static void NAME(const T *source, const int64_t *offsets, T *destination, int64_t count) {     \
        if (offsets == NULL) {                                                                     \
            for (int64_t i = 0; i < count; i++) destination[i] = source[i];                        \
        } else {                                                                                   \
            for (int64_t i = 0; i < count; i++) destination[i] = source[offsets[i]];               \
        }                                                                                          \
    }
STRIDED_READ(read_offsets_8, uint8_t)
STRIDED_READ(read_offsets_16, uint16_t)
STRIDED_READ(read_offsets_32, uint32_t)
STRIDED_READ(read_offsets_64, uint64_t)

/// Copies blocks [first, end) (block b = outer b / indexCount, index b % indexCount).
static void gather_offset_blocks(const offsets_job *job, int64_t first, int64_t end) {
    const int64_t es = job->elementSize, inner = job->innerCount;
    for (int64_t block = first; block < end; block++) {
        const int64_t base = job->outerOffsets[block / job->indexCount] + job->indexOffsets[block % job->indexCount];
        const char *source = job->source + base * es;
        char *destination = job->destination + block * inner * es;
        if (job->innerOffsets == NULL && inner * es >= 64) {
            memcpy(destination, source, (size_t)(inner * es));
            continue;
        }
        // Short blocks (often one element) are copied in a loop rather than through memcpy.
        switch (es) {
        case 1: read_offsets_8((const uint8_t *)source, job->innerOffsets, (uint8_t *)destination, inner); break;
        case 2: read_offsets_16((const uint16_t *)source, job->innerOffsets, (uint16_t *)destination, inner); break;
        case 4: read_offsets_32((const uint32_t *)source, job->innerOffsets, (uint32_t *)destination, inner); break;
        default: read_offsets_64((const uint64_t *)source, job->innerOffsets, (uint64_t *)destination, inner); break;
        }
    }
}

static void gather_offsets_task(void *context, int64_t task, int64_t count) {
    const offsets_job *job = context;
    gather_offset_blocks(job, task * job->blocks / count, (task + 1) * job->blocks / count);
}

void ag_index_gather_offsets(const void *source, void *destination, int64_t elementSize,
                             int64_t outerCount, const int64_t *outerOffsets,
                             int64_t indexCount, const int64_t *indexOffsets,
                             int64_t innerCount, const int64_t *innerOffsets) {
    const int64_t blocks = outerCount * indexCount;
    if (blocks == 0 || innerCount == 0) return;
    offsets_job job = {
        .source = source, .destination = destination, .elementSize = elementSize, .outerCount = outerCount,
        .outerOffsets = outerOffsets, .indexCount = indexCount, .indexOffsets = indexOffsets,
        .innerCount = innerCount, .innerOffsets = innerOffsets, .blocks = blocks,
    };
    int64_t threads = ag_get_num_threads();
    int64_t tasks = blocks * innerCount < AG_INDEX_PARALLEL_MINIMUM ? 1 : (threads < blocks ? threads : blocks);
    if (tasks <= 1) {
        gather_offset_blocks(&job, 0, blocks);
    } else {
        ag_parallel_for(tasks, gather_offsets_task, &job);
    }
}

/// Writes `count` elements of type T from `values` into `destination` at `offsets` (or at
/// consecutive positions when offsets is NULL), with STATEMENT on `*d` and `v`.
#define OFFSET_WRITE(NAME, T, STATEMENT)                                                           \
    static void NAME(T *destination, const int64_t *offsets, const T *values, int64_t count) {    \
        if (offsets == NULL) {                                                                     \
            for (int64_t i = 0; i < count; i++) {                                                  \
                T *d = destination + i;                                                            \
                T v = values[i];                                                                   \
                STATEMENT;                                                                         \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < count; i++) {                                                  \
                T *d = destination + offsets[i];                                                   \
                T v = values[i];                                                                   \
                STATEMENT;                                                                         \
            }                                                                                      \
        }                                                                                          \
    }
OFFSET_WRITE(write_offsets_8, uint8_t, *d = v)
OFFSET_WRITE(write_offsets_16, uint16_t, *d = v)
OFFSET_WRITE(write_offsets_32, uint32_t, *d = v)
OFFSET_WRITE(write_offsets_64, uint64_t, *d = v)
OFFSET_WRITE(add_offsets_float, float, *d += v)
OFFSET_WRITE(add_offsets_double, double, *d += v)
OFFSET_WRITE(add_offsets_int64, int64_t, *d += v)

void ag_index_put_offsets(void *destination, const void *values, int64_t elementSize,
                          int32_t kind, bool accumulate,
                          int64_t outerCount, const int64_t *outerOffsets,
                          int64_t indexCount, const int64_t *indexOffsets,
                          int64_t innerCount, const int64_t *innerOffsets) {
    const int64_t es = elementSize;
    for (int64_t block = 0; block < outerCount * indexCount; block++) {
        const int64_t base = outerOffsets[block / indexCount] + indexOffsets[block % indexCount];
        char *d = (char *)destination + base * es;
        const char *v = (const char *)values + block * innerCount * es;
        if (accumulate) {
            switch (kind) {
            case AG_ELEMENT_FLOAT32: add_offsets_float((float *)d, innerOffsets, (const float *)v, innerCount); break;
            case AG_ELEMENT_FLOAT64: add_offsets_double((double *)d, innerOffsets, (const double *)v, innerCount); break;
            default: add_offsets_int64((int64_t *)d, innerOffsets, (const int64_t *)v, innerCount); break;
            }
            continue;
        }
        switch (es) {
        case 1: write_offsets_8((uint8_t *)d, innerOffsets, (const uint8_t *)v, innerCount); break;
        case 2: write_offsets_16((uint16_t *)d, innerOffsets, (const uint16_t *)v, innerCount); break;
        case 4: write_offsets_32((uint32_t *)d, innerOffsets, (const uint32_t *)v, innerCount); break;
        default: write_offsets_64((uint64_t *)d, innerOffsets, (const uint64_t *)v, innerCount); break;
        }
    }
}
