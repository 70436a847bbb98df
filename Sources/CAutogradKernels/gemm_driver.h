// The GEMM driver, written once for every element type: gemm.c instantiates it for float
// (ag_sgemm_strided) and dgemm.c for double (ag_dgemm_strided). Include it in a .c file
// after defining
//
//   AG_REAL             the element type
//   AG_GEMM_CONFIG      that type's configuration struct (ag_gemm_config, ag_dgemm_config)
//   AG_GEMM_CONFIG_FOR  the function giving a kernel path's configuration
//   AG_GEMM_STRIDED     the name of the public entry point to define
//
// Everything else here is static, so each instantiation lives in its own translation unit.
// The micro-kernels, packing routines and block sizes come from the configuration; the
// per-thread packing buffers are shared by all instantiations (gemm.c).

#ifndef AG_REAL
#error "define AG_REAL, AG_GEMM_CONFIG, AG_GEMM_CONFIG_FOR and AG_GEMM_STRIDED before including gemm_driver.h"
#endif

#include "CAutogradKernels.h"
#include "kernels_internal.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// GEMM in the BLIS style (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication"). op(B) is packed into nr-wide slivers (one k step = nr consecutive
// elements) and op(A) into mr-tall slivers, kc steps deep; the micro-kernel then sweeps the
// mr x nr tiles of C with both slivers streaming from cache. Packing also absorbs the
// strides (transposed, broadcast or otherwise strided operands), so the micro-kernel sees
// one layout. The packing routines are in gemm_packing.c (dgemm_packing.c for double),
// the micro-kernels and block sizes per kernel path in gemm_microkernels.c
// (dgemm_microkernels.c).
//
// Work is split into tasks, runs of whole tiles along N (then every task needs all of A)
// or M (all of B), which the threads take in turn. When that dimension has too few tiles
// to keep every thread busy (a 256 x 256 product on 16 threads), the other one is cut
// too, at the boundaries of the shared operand's units, so a task is a run of tiles
// along one dimension times a range of whole units along the other. They share the packed copy of the
// operand every task needs: each kc-deep block of it (mc rows of A, or a group of B
// slivers) is a unit that the first thread to need it packs while any other that needs it
// waits, so nothing is packed twice. Tasks start their sweeps at different units, so the
// threads pack side by side. A thread only ever waits for a unit another thread is
// packing, so there is no barrier to deadlock on when the pool runs the tasks one after
// another on one thread.

/// Below this many multiply-adds the packing costs more than it saves.
#define AG_GEMM_PACKED_MIN 4096
/// Below this many multiply-adds a second thread costs more than it saves.
#define AG_GEMM_PARALLEL_MIN (1 << 20)
/// Largest op(A), in bytes, read in place for which tasks split N whatever its shape: every
/// such task streams all of op(A), which must then come from cache.
#define AG_GEMM_SPLIT_N_MAX_A_BYTES (1 << 20)
/// B slivers per unit of shared packing.
#define AG_GEMM_B_GROUP 8
/// Tasks per thread: threads take runs of tiles in turn, so one slowed down (by another
/// process, say) does fewer of them instead of holding the others up at the end.
#define AG_GEMM_TASKS_PER_THREAD 6
/// Fewest tiles per task along the split dimension.
#define AG_GEMM_TILES_PER_TASK 4
/// Fewest tiles per thread along the split dimension before the other one is cut too.
#define AG_GEMM_CROSS_MIN_TILES 4
/// Largest job, in rows and in kc blocks of the inner dimension: bigger products run as
/// several jobs so the packed copies of A and B stay a few megabytes.
#define AG_GEMM_MAX_ROWS 2048
#define AG_GEMM_MAX_K_BLOCKS 4

/// A matrix read through element strides: entry (r, c) is base[r * rowStride + c * columnStride],
/// or base[rowOffsets[r] + c * columnStride] when rowOffsets is not NULL (then only as op(B),
/// with unit column stride: see ag_sgemm_offset_rows).
typedef struct {
    const AG_REAL *base;
    int64_t rowStride, columnStride;
    const int64_t *rowOffsets;
} strided_matrix;

/// The matrix starting at entry (row, column) of `m`.
static inline strided_matrix submatrix(strided_matrix m, int64_t row, int64_t column) {
    if (m.rowOffsets != NULL) {
        return (strided_matrix){m.base + column * m.columnStride, m.rowStride, m.columnStride, m.rowOffsets + row};
    }
    return (strided_matrix){m.base + row * m.rowStride + column * m.columnStride, m.rowStride, m.columnStride, NULL};
}

/// The first entry of row `row` of `m`.
static inline const AG_REAL *row_start(strided_matrix m, int64_t row) {
    return m.rowOffsets != NULL ? m.base + m.rowOffsets[row] : m.base + row * m.rowStride;
}

/// The size of each of ceil(extent / limit) near-equal chunks, rounded up to `unit`.
static int64_t chunk_size(int64_t extent, int64_t limit, int64_t unit) {
    int64_t chunks = (extent + limit - 1) / limit;
    int64_t size = (extent + chunks - 1) / chunks;
    return (size + unit - 1) / unit * unit;
}

// MARK: Reference loop for tiny products

/// C = A·B (+ C) by plain loops, for products too small to repay packing.
static void gemm_small(int64_t M, int64_t N, int64_t K, strided_matrix a, strided_matrix b,
                       bool accumulate, AG_REAL *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        AG_REAL *c = C + i * ldc;
        const AG_REAL *aRow = a.base + i * a.rowStride;
        if (!accumulate) memset(c, 0, (size_t)N * sizeof(AG_REAL));
        if (b.columnStride == 1) {
            for (int64_t k = 0; k < K; k++) {
                AG_REAL x = aRow[k * a.columnStride];
                const AG_REAL *bRow = row_start(b, k);
                for (int64_t j = 0; j < N; j++) c[j] += x * bRow[j];
            }
        } else {
            for (int64_t j = 0; j < N; j++) {
                AG_REAL sum = 0;
                for (int64_t k = 0; k < K; k++) sum += aRow[k * a.columnStride] * row_start(b, k)[j * b.columnStride];
                c[j] += sum;
            }
        }
    }
}

// MARK: Packing buffers

/// `count` elements rounded up to a whole number of 64-byte lines.
static inline size_t whole_lines(int64_t count) {
    const size_t perLine = 64 / sizeof(AG_REAL);
    return ((size_t)count + perLine - 1) / perLine * perLine;
}

/// This thread's packing buffer of kind `kind`, grown to at least `count` elements.
static inline AG_REAL *thread_buffer(int kind, size_t count) {
    return ag_gemm_thread_buffer(kind, count * sizeof(AG_REAL));
}

// MARK: Shared packing

/// The packing state of one shared unit (a kc-deep block of A or group of B slivers).
enum { UNIT_EMPTY, UNIT_PACKING, UNIT_READY };

/// Whether the calling thread should pack the unit whose state is `state`: true for the
/// first thread to ask, which must then call publish_unit. Any other returns false once the
/// unit is ready; it waits only while another thread is packing it, which always ends.
static bool claim_unit(_Atomic uint32_t *state) {
    uint32_t seen = atomic_load_explicit(state, memory_order_acquire);
    if (seen == UNIT_READY) return false;
    if (seen == UNIT_EMPTY &&
        atomic_compare_exchange_strong_explicit(state, &seen, UNIT_PACKING, memory_order_acquire, memory_order_acquire)) {
        return true;
    }
    for (int64_t spins = 0; atomic_load_explicit(state, memory_order_acquire) != UNIT_READY; spins++) {
        if (spins < 4096) ag_cpu_relax(); else sched_yield();
    }
    return false;
}

/// Marks a unit claimed by claim_unit as packed, making its contents visible to every thread.
static void publish_unit(_Atomic uint32_t *state) {
    atomic_store_explicit(state, UNIT_READY, memory_order_release);
}

// MARK: The blocked loops

/// One product C = op(A) op(B) (+ C), split into tasks of whole tiles along N (then the
/// threads share op(A)) or M (then they share op(B)). The shared operand is packed whole,
/// kc block after kc block, one unit at a time by whichever thread needs it first; each
/// task packs its part of the other one into its thread's own buffer, kc block by kc
/// block, so those panels stay hot in its caches.
typedef struct {
    const AG_GEMM_CONFIG *config;
    int64_t M, N, K;
    strided_matrix a, b;         // op(A), M x K, and op(B), K x N
    AG_REAL *C; int64_t ldc;
    bool accumulate;
    bool splitColumns;           // tasks split N and share A (else split M and share B)
    bool directA;                // the micro-kernel reads full-height slivers of op(A) in place
    bool directB;                // the rows kernel reads full-width slivers of op(B) in place
    int64_t parts;               // threads
    int64_t tasks;               // tasks in all: runs x crossGroups, taken in turn by the threads
    int64_t runs;                // runs of whole tiles along the split dimension
    int64_t crossGroups;         // ranges of whole shared units along the other dimension
    bool guided;                 // runs shrink towards the end (else they are equal)
    int64_t blockRows;           // rows per shared A block (when the threads share op(A))
    int64_t depthBlock;          // kc blocks of near-equal depth, at most kc steps (a multiple of 8)
    AG_REAL *shared;             // the shared operand packed: paddedM x kc or kc x paddedN per kc block
    int64_t paddedM, paddedN;    // M and N rounded up to whole slivers
    _Atomic uint32_t *state;     // per kc block, per unit of the shared operand (after `shared`)
    int64_t units;               // units per kc block: A blocks of mc rows or groups of B slivers
} gemm_job;

/// Whether the threads of `job` share a packed op(A) (else op(B), or nothing when
/// single-threaded or when op(A) is read in place).
static inline bool shares_a(const gemm_job *job) { return job->parts > 1 && job->splitColumns && !job->directA; }
static inline bool shares_b(const gemm_job *job) { return job->parts > 1 && !job->splitColumns; }

/// Packs rows [i0, i0 + rows) x steps [k0, k0 + depth) of op(A) into dst.
static void pack_a(const gemm_job *job, int64_t i0, int64_t rows, int64_t k0, int64_t depth, AG_REAL *dst) {
    strided_matrix a = submatrix(job->a, i0, k0);
    job->config->pack(job->config->mr, a.base, a.rowStride, a.columnStride, rows, depth, dst);
}

/// Packs steps [k0, k0 + depth) x columns [j0, j0 + columns) of op(B) into dst.
static void pack_b(const gemm_job *job, int64_t k0, int64_t depth, int64_t j0, int64_t columns, AG_REAL *dst) {
    strided_matrix b = submatrix(job->b, k0, j0);
    if (b.rowOffsets != NULL) {
        job->config->packRows(job->config->nr, b.base, b.rowOffsets, columns, depth, dst);
    } else {
        job->config->pack(job->config->nr, b.base, b.columnStride, b.rowStride, columns, depth, dst);
    }
}

/// The shared packed A block of rows [i0, i0 + rows) (i0 a multiple of job->blockRows) of
/// kc block `kBlock`, packing it first unless another thread has.
static const AG_REAL *shared_a_block(const gemm_job *job, int64_t kBlock, int64_t k0, int64_t depth,
                                   int64_t i0, int64_t rows) {
    AG_REAL *dst = job->shared + k0 * job->paddedM + i0 * depth;
    _Atomic uint32_t *state = &job->state[kBlock * job->units + i0 / job->blockRows];
    if (claim_unit(state)) {
        pack_a(job, i0, rows, k0, depth, dst);
        publish_unit(state);
    }
    return dst;
}

/// Makes sure the shared packed B sliver group `group` of kc block `kBlock` is ready,
/// packing it unless another thread has.
static void ensure_shared_b_group(const gemm_job *job, int64_t kBlock, int64_t k0, int64_t depth, int64_t group) {
    _Atomic uint32_t *state = &job->state[kBlock * job->units + group];
    if (!claim_unit(state)) return;
    int64_t width = AG_GEMM_B_GROUP * job->config->nr;
    int64_t j0 = group * width;
    pack_b(job, k0, depth, j0, job->N - j0 < width ? job->N - j0 : width, job->shared + k0 * job->paddedN + j0 * depth);
    publish_unit(state);
}

/// Adds (or copies) the live `rows` x `columns` part of a tile computed aside into C at `c`.
static inline void keep_edge(const gemm_job *job, const AG_REAL *edge, AG_REAL *c, int64_t rows, int64_t columns,
                             bool accumulate) {
    const int64_t nr = job->config->nr;
    for (int64_t r = 0; r < rows; r++) {
        AG_REAL *row = c + r * job->ldc;
        const AG_REAL *src = edge + r * nr;
        if (accumulate) {
            for (int64_t q = 0; q < columns; q++) row[q] += src[q];
        } else {
            for (int64_t q = 0; q < columns; q++) row[q] = src[q];
        }
    }
}

/// Runs the micro-kernel on the tile at (i, j) of `rows` x `columns` live entries from a
/// packed A sliver. A tile of fewer rows runs the short-tile kernel where the path has one
/// (else the full kernel on the zero-padded sliver); a tile of fewer columns is computed
/// aside and only its live part kept.
static inline void run_tile(const gemm_job *job, int64_t depth, const AG_REAL *a, const AG_REAL *b,
                            int64_t i, int64_t j, int64_t rows, int64_t columns, bool accumulate) {
    const AG_GEMM_CONFIG *cfg = job->config;
    AG_REAL *c = job->C + i * job->ldc + j;
    const bool shortRows = rows < cfg->mr && cfg->kernelRows != NULL;
    if (columns == cfg->nr && (rows == cfg->mr || shortRows)) {
        if (shortRows) {
            cfg->kernelRows(depth, a, 1, cfg->mr, b, cfg->nr, c, job->ldc, accumulate, rows);
        } else {
            cfg->kernel(depth, a, b, c, job->ldc, accumulate);
        }
        return;
    }
    AG_REAL edge[AG_GEMM_MAX_TILE] __attribute__((aligned(64)));   // room for the largest tile of any path
    if (shortRows) {
        cfg->kernelRows(depth, a, 1, cfg->mr, b, cfg->nr, edge, cfg->nr, false, rows);
    } else {
        cfg->kernel(depth, a, b, edge, cfg->nr, false);
    }
    keep_edge(job, edge, c, rows, columns, accumulate);
}

/// run_tile for a tile whose A rows are read in place: row r of the sliver at
/// a + r * lda, step k at + k. Fewer than mr rows need the path's short-tile kernel.
static inline void run_tile_in_place(const gemm_job *job, int64_t depth, const AG_REAL *a, const AG_REAL *b,
                                     int64_t i, int64_t j, int64_t rows, int64_t columns, bool accumulate) {
    const AG_GEMM_CONFIG *cfg = job->config;
    AG_REAL *c = job->C + i * job->ldc + j;
    const int64_t lda = job->a.rowStride;
    if (columns == cfg->nr) {
        if (rows == cfg->mr) {
            cfg->kernelInPlace(depth, a, lda, b, c, job->ldc, accumulate);
        } else {
            cfg->kernelRows(depth, a, lda, 1, b, cfg->nr, c, job->ldc, accumulate, rows);
        }
        return;
    }
    AG_REAL edge[AG_GEMM_MAX_TILE] __attribute__((aligned(64)));
    if (rows == cfg->mr) {
        cfg->kernelInPlace(depth, a, lda, b, edge, cfg->nr, false);
    } else {
        cfg->kernelRows(depth, a, lda, 1, b, cfg->nr, edge, cfg->nr, false, rows);
    }
    keep_edge(job, edge, c, rows, columns, accumulate);
}

/// run_tile for a full-width tile whose B sliver is read in place, from the rows of a
/// row-major op(B) starting at `b` (step k at b + k * job->b.rowStride), and whose A rows
/// are a[r * aRowStride + k * aStepStride] (packed or in place).
static inline void run_tile_b_in_place(const gemm_job *job, int64_t depth, const AG_REAL *a, int64_t aRowStride,
                                       int64_t aStepStride, const AG_REAL *b, int64_t i, int64_t j, int64_t rows,
                                       bool accumulate) {
    job->config->kernelRows(depth, a, aRowStride, aStepStride, b, job->b.rowStride, job->C + i * job->ldc + j,
                            job->ldc, accumulate, rows);
}

/// C[i0..<i1, j0..<j1] (whole tiles) on the calling thread; `lane` (0..<parts) staggers
/// where it starts sweeping the shared operand.
static void gemm_region(const gemm_job *job, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t lane) {
    const AG_GEMM_CONFIG *cfg = job->config;
    const int64_t mr = cfg->mr, nr = cfg->nr;
    const int64_t groupWidth = AG_GEMM_B_GROUP * nr;
    const bool sharedA = shares_a(job), sharedB = shares_b(job);
    // Blocks of near-equal height, at most mc rows (the shared blocks when the threads share A).
    int64_t blockRows = sharedA ? job->blockRows : chunk_size(i1 - i0, cfg->mc, mr);
    int64_t blocks = (i1 - i0 + blockRows - 1) / blockRows;
    int64_t firstSliver = j0 / nr, slivers = (j1 + nr - 1) / nr - firstSliver;
    // Threads sharing an operand start their sweep over it at different units.
    int64_t blockShift = sharedA ? blocks * lane / job->parts : 0;
    int64_t sliverShift = sharedB ? slivers * lane / job->parts : 0;
    int64_t kcMax = job->K < job->depthBlock ? job->K : job->depthBlock;
    // Read in place, A needs packing only for a last sliver of fewer than mr rows.
    size_t aSize = sharedA ? 0 : whole_lines((job->directA ? mr : blockRows) * kcMax);
    AG_REAL *privateA = thread_buffer(AG_GEMM_PRIVATE_BUFFER, aSize + (sharedB ? 0 : (size_t)(slivers * nr * kcMax)));
    AG_REAL *privateB = privateA + aSize;
    for (int64_t k0 = 0, kBlock = 0; k0 < job->K; k0 += job->depthBlock, kBlock++) {
        int64_t depth = job->K - k0 < job->depthBlock ? job->K - k0 : job->depthBlock;
        bool accumulate = job->accumulate || k0 > 0;
        if (job->directB) {
            // Only a last sliver of fewer than nr columns is packed (zero-padded).
            int64_t lastStart = j0 + (j1 - j0) / nr * nr;
            if (lastStart < j1) pack_b(job, k0, depth, lastStart, j1 - lastStart, privateB + (lastStart - j0) * depth);
        } else if (!sharedB) {
            pack_b(job, k0, depth, j0, j1 - j0, privateB);
        }
        for (int64_t t = 0; t < blocks; t++) {
            int64_t block = (t + blockShift) % blocks;
            int64_t rowStart = i0 + block * blockRows;
            int64_t rowEnd = rowStart + blockRows < i1 ? rowStart + blockRows : i1;
            const AG_REAL *panelA;
            int64_t firstPackedRow = rowStart;   // rows before it are read in place
            if (job->directA) {
                // A last sliver of fewer than mr rows is read in place too when the path has
                // a short-tile kernel; otherwise it is packed, zero-padded to mr rows.
                firstPackedRow = cfg->kernelRows != NULL ? rowEnd : rowEnd - (rowEnd - rowStart) % mr;
                if (firstPackedRow < rowEnd) pack_a(job, firstPackedRow, rowEnd - firstPackedRow, k0, depth, privateA);
                panelA = privateA - firstPackedRow * depth;
            } else if (sharedA) {
                panelA = shared_a_block(job, kBlock, k0, depth, rowStart, rowEnd - rowStart) - rowStart * depth;
            } else {
                pack_a(job, rowStart, rowEnd - rowStart, k0, depth, privateA);
                panelA = privateA - rowStart * depth;
            }
            int64_t readyGroup = -1;
            for (int64_t u = 0; u < slivers; u++) {
                int64_t j = (firstSliver + (u + sliverShift) % slivers) * nr;
                const AG_REAL *panelB;
                if (sharedB) {
                    if (j / groupWidth != readyGroup) {
                        readyGroup = j / groupWidth;
                        ensure_shared_b_group(job, kBlock, k0, depth, readyGroup);
                    }
                    panelB = job->shared + k0 * job->paddedN + j * depth;
                } else {
                    panelB = privateB + (j - j0) * depth;
                }
                int64_t columns = job->N - j < nr ? job->N - j : nr;
                if (job->directB && columns == nr) {
                    const AG_REAL *rowsB = job->b.base + k0 * job->b.rowStride + j;
                    for (int64_t i = rowStart; i < rowEnd; i += mr) {
                        int64_t rows = job->M - i < mr ? job->M - i : mr;
                        if (i < firstPackedRow) {
                            run_tile_b_in_place(job, depth, job->a.base + i * job->a.rowStride + k0, job->a.rowStride,
                                                1, rowsB, i, j, rows, accumulate);
                        } else {
                            run_tile_b_in_place(job, depth, panelA + i * depth, 1, mr, rowsB, i, j, rows, accumulate);
                        }
                    }
                    continue;
                }
                for (int64_t i = rowStart; i < rowEnd; i += mr) {
                    int64_t rows = job->M - i < mr ? job->M - i : mr;
                    if (i < firstPackedRow) {
                        const AG_REAL *rowsA = job->a.base + i * job->a.rowStride + k0;
                        run_tile_in_place(job, depth, rowsA, panelB, i, j, rows, columns, accumulate);
                    } else {
                        run_tile(job, depth, panelA + i * depth, panelB, i, j, rows, columns, accumulate);
                    }
                }
            }
        }
    }
}

/// The first of `tiles` tiles that run `run` of `runs` computes. Guided, run sizes shrink
/// linearly: the large ones go first and the small ones even out the threads' finishing
/// times. That needs at least two runs per thread (the first is about twice the average);
/// with fewer, the runs are equal.
static int64_t run_start(int64_t tiles, int64_t run, int64_t runs, bool guided) {
    if (!guided) return tiles * run / runs;
    int64_t left = runs - run;
    return tiles - tiles * left * left / (runs * runs);
}

/// Runs task `task`: run task / crossGroups of whole tiles along the split dimension, over
/// cross group task % crossGroups of whole shared units along the other one.
static void gemm_task(void *context, int64_t task, int64_t tasks) {
    (void)tasks;
    const gemm_job *job = context;
    int64_t run = task / job->crossGroups, group = task % job->crossGroups;
    int64_t extent = job->splitColumns ? job->N : job->M;
    int64_t unit = job->splitColumns ? job->config->nr : job->config->mr;
    int64_t tiles = (extent + unit - 1) / unit;
    int64_t start = run_start(tiles, run, job->runs, job->guided) * unit;
    int64_t end = run_start(tiles, run + 1, job->runs, job->guided) * unit;
    if (end > extent) end = extent;
    // The cross range: whole A blocks (shared A) or whole groups of B slivers (shared B).
    int64_t crossExtent = job->splitColumns ? job->M : job->N;
    int64_t unitSize = job->splitColumns ? job->blockRows : AG_GEMM_B_GROUP * job->config->nr;
    int64_t crossStart = job->units * group / job->crossGroups * unitSize;
    int64_t crossEnd = job->units * (group + 1) / job->crossGroups * unitSize;
    if (crossEnd > crossExtent) crossEnd = crossExtent;
    if (start >= end || crossStart >= crossEnd) return;
    if (job->splitColumns) {
        gemm_region(job, crossStart, crossEnd, start, end, task % job->parts);
    } else {
        gemm_region(job, start, end, crossStart, crossEnd, task % job->parts);
    }
}

/// Whether the micro-kernel reads op(A) in place instead of packing it: when the path has
/// such a kernel and op(A)'s rows are contiguous runs, except at row strides of a multiple
/// of 4 KB, whose mr rows would all fall in the same few sets of the L1 cache.
static bool reads_a_in_place(const AG_GEMM_CONFIG *cfg, strided_matrix a) {
    if (cfg->kernelInPlace == NULL || a.columnStride != 1) return false;
    int64_t rowBytes = a.rowStride * (int64_t)sizeof(AG_REAL);
    return rowBytes % 4096 != 0;
}

/// Whether the rows kernel reads full slivers of op(B) in place instead of packing them: when
/// the path has one, op(B)'s rows are contiguous runs, and a packed sliver would serve at
/// most two blocks of mc rows, too few to repay copying it. The row stride must not be a
/// multiple of 4 KB (as for A: the sliver's rows would share a few sets of the L1 cache),
/// nor of 2 KB when two blocks read the sliver. On the AVX-512 Xeon, one thread, against
/// packing: 64 x 3136 x 288 (B's rows 3136 apart) 1.3-1.7x, the 128- and 65-row weight
/// gradients of the GPT benchmark 1.0-1.3x, 256^3 and 288 x 448 x 64 1.03-1.5x; with four
/// or more blocks, or two at a 2 KB stride, between 0.76x and 1.4x.
static bool reads_b_in_place(const AG_GEMM_CONFIG *cfg, strided_matrix b, int64_t M) {
    if (cfg->kernelRows == NULL || b.rowOffsets != NULL || b.columnStride != 1) return false;
    int64_t rowBytes = b.rowStride * (int64_t)sizeof(AG_REAL);
    // Every sliver row must start a cache line: a row straddling two lines costs a third
    // more lines and split loads (7% slower on 256^3 at 16 bytes past a line).
    if ((uintptr_t)b.base % 64 != 0 || rowBytes % 64 != 0) return false;
    if (M <= cfg->mc) return rowBytes % 4096 != 0;
    return M <= 2 * cfg->mc && rowBytes % 2048 != 0;
}

/// C = op(A) op(B) (+ C) for one job, split over the threads when it is large enough.
static void gemm_job_run(const AG_GEMM_CONFIG *cfg, int64_t M, int64_t N, int64_t K,
                         strided_matrix a, strided_matrix b, bool accumulate, AG_REAL *C, int64_t ldc) {
    gemm_job job = {
        .config = cfg, .M = M, .N = N, .K = K, .a = a, .b = b, .C = C, .ldc = ldc, .accumulate = accumulate,
        .paddedM = (M + cfg->mr - 1) / cfg->mr * cfg->mr,
        .paddedN = (N + cfg->nr - 1) / cfg->nr * cfg->nr,
        .depthBlock = chunk_size(K, cfg->kc, 8),
    };
    int64_t rowTiles = job.paddedM / cfg->mr, columnTiles = job.paddedN / cfg->nr;
    job.directA = reads_a_in_place(cfg, a);
    // A small op(A) read in place lets tasks split N even when it has more tiles: each task
    // packs its own columns of op(B), all at once, and streams all of op(A) from cache.
    // Split along M, every thread would wait for one packed copy of op(B) and then read it
    // from the caches of the threads that packed it (on a 16-core Xeon a 256 x 256 x 256
    // product took 88 us that way, with 13 us of arithmetic per thread; 42 us split N).
    bool smallDirectA = job.directA && (double)M * (double)K * sizeof(AG_REAL) <= AG_GEMM_SPLIT_N_MAX_A_BYTES;
    job.splitColumns = columnTiles >= rowTiles || smallDirectA;
    double work = (double)M * (double)N * (double)K;
    job.parts = work < AG_GEMM_PARALLEL_MIN ? 1 : ag_get_num_threads();
    int64_t tiles = job.splitColumns ? columnTiles : rowTiles;
    job.blockRows = chunk_size(M, cfg->mc, cfg->mr);
    job.units = job.splitColumns ? (M + job.blockRows - 1) / job.blockRows
                                 : (N + AG_GEMM_B_GROUP * cfg->nr - 1) / (AG_GEMM_B_GROUP * cfg->nr);
    if (job.parts > tiles * job.units) job.parts = tiles * job.units;
    job.directB = (job.parts <= 1 || job.splitColumns) && reads_b_in_place(cfg, b, M);
    if (job.parts <= 1) {
        job.parts = 1;
        gemm_region(&job, 0, M, 0, N, 0);
        return;
    }
    int64_t kBlocks = (K + job.depthBlock - 1) / job.depthBlock;
    size_t sharedSize = shares_a(&job) || shares_b(&job) ? whole_lines((job.splitColumns ? job.paddedM : job.paddedN) * K) : 0;
    job.shared = thread_buffer(AG_GEMM_SHARED_BUFFER, sharedSize + (size_t)(kBlocks * job.units));
    job.state = (_Atomic uint32_t *)(job.shared + sharedSize);
    for (int64_t u = 0; u < kBlocks * job.units; u++) atomic_init(&job.state[u], UNIT_EMPTY);
    // Cut the other dimension too when the split one has fewer than AG_GEMM_CROSS_MIN_TILES
    // tiles per thread, into as many unit ranges as it takes (and it has).
    job.crossGroups = (AG_GEMM_CROSS_MIN_TILES * job.parts + tiles - 1) / tiles;
    if (job.crossGroups > job.units) job.crossGroups = job.units;
    if (job.crossGroups < 1) job.crossGroups = 1;
    // Runs of at least AG_GEMM_TILES_PER_TASK tiles, up to AG_GEMM_TASKS_PER_THREAD tasks
    // per thread, guided; too few of those for guided sizes to balance, one equal task per thread.
    job.runs = tiles / AG_GEMM_TILES_PER_TASK;
    int64_t mostRuns = job.parts * AG_GEMM_TASKS_PER_THREAD / job.crossGroups;
    if (job.runs > mostRuns) job.runs = mostRuns;
    if (job.runs * job.crossGroups < 2 * job.parts) {
        int64_t perThread = (job.parts + job.crossGroups - 1) / job.crossGroups;
        job.runs = perThread < tiles ? perThread : tiles;
    }
    job.tasks = job.runs * job.crossGroups;
    job.guided = job.tasks >= 2 * job.parts;
    ag_parallel_for(job.tasks, gemm_task, &job);
}

/// C = a b + beta C: AG_GEMM_STRIDED's contract for any strided_matrix operands (op(B)
/// may have row offsets).
static void gemm_matrices(int64_t M, int64_t N, int64_t K, strided_matrix a, strided_matrix b,
                          AG_REAL beta, AG_REAL *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    bool accumulate = beta != 0;
    if (K <= 0) {
        if (!accumulate) {
            for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(AG_REAL));
        }
        return;
    }
    if ((double)M * (double)N * (double)K < AG_GEMM_PACKED_MIN) {
        gemm_small(M, N, K, a, b, accumulate, C, ldc);
        return;
    }
    const AG_GEMM_CONFIG *cfg = AG_GEMM_CONFIG_FOR(ag_kernel_path_get());
    int64_t rowChunk = chunk_size(M, AG_GEMM_MAX_ROWS, cfg->mr);
    int64_t columnChunk = chunk_size(N, cfg->nc, cfg->nr);
    int64_t depthChunk = chunk_size(K, AG_GEMM_MAX_K_BLOCKS * cfg->kc, cfg->kc);
    for (int64_t j = 0; j < N; j += columnChunk) {
        int64_t columns = N - j < columnChunk ? N - j : columnChunk;
        for (int64_t i = 0; i < M; i += rowChunk) {
            int64_t rows = M - i < rowChunk ? M - i : rowChunk;
            for (int64_t k = 0; k < K; k += depthChunk) {
                int64_t depth = K - k < depthChunk ? K - k : depthChunk;
                gemm_job_run(cfg, rows, columns, depth, submatrix(a, i, k), submatrix(b, k, j),
                             accumulate || k > 0, C + i * ldc + j, ldc);
            }
        }
    }
}

void AG_GEMM_STRIDED(int64_t M, int64_t N, int64_t K,
                      const AG_REAL *A, int64_t rowStrideA, int64_t columnStrideA,
                      const AG_REAL *B, int64_t rowStrideB, int64_t columnStrideB,
                      AG_REAL beta, AG_REAL *C, int64_t ldc) {
    gemm_matrices(M, N, K, (strided_matrix){A, rowStrideA, columnStrideA, NULL},
                  (strided_matrix){B, rowStrideB, columnStrideB, NULL}, beta, C, ldc);
}
