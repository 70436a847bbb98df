#ifndef AG_INDEXING_H
#define AG_INDEXING_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Indexing, gather and scatter
//
// Offsets and strides count elements, not bytes. Copies move elements of 1, 2, 4 or 8
// bytes whatever their type; additions read them as one of the element kinds below
// (other dtypes are converted to one of these by the caller).

/// Elements added as float.
#define AG_ELEMENT_FLOAT32 0
/// Elements added as double.
#define AG_ELEMENT_FLOAT64 1
/// Elements added as int64_t.
#define AG_ELEMENT_INT64 2

/// The most dimensions the gather and scatter kernels take.
#define AG_INDEX_MAX_RANK 64

/// What ag_index_along_dimension does with each position of the index.
typedef enum {
    /// plain[position] = indexed[position with index at dim] (torch.gather).
    AG_ALONG_DIM_GATHER = 0,
    /// indexed[position with index at dim] = plain[position] (torch.scatter).
    AG_ALONG_DIM_SCATTER = 1,
    /// indexed[position with index at dim] += plain[position] (torch.scatter_add).
    AG_ALONG_DIM_SCATTER_ADD = 2,
} ag_along_dim_mode;

/// Gather or scatter along dimension `dim`: for every position p of `shape` (rank
/// dimensions, 1 <= rank <= AG_INDEX_MAX_RANK), i = index[p · indexStrides] must lie in
/// [0, dimSize); the indexed operand's element is at Σ_{d != dim} p_d · indexedStrides[d]
/// + i · indexedStrides[dim] and the plain operand's at p · plainStrides. `mode` says which
/// way elements move; `kind` (an AG_ELEMENT_ value) is read only for additions.
///
/// Every index is checked before the element it addresses is touched. Returns -1, or the
/// row-major position p of an index outside [0, dimSize) (the lowest such position the
/// threads met; nothing is read or written through it). For the scatter modes, positions
/// that differ outside `dim` must address different elements (true when the indexed
/// operand is at least as large as `shape` outside `dim`), so threads never write the
/// same element.
int64_t ag_index_along_dimension(ag_along_dim_mode mode, int32_t kind, int64_t elementSize,
                                 int64_t rank, const int64_t *shape, int64_t dim, int64_t dimSize,
                                 const int64_t *index, const int64_t *indexStrides,
                                 void *indexed, const int64_t *indexedStrides,
                                 void *plain, const int64_t *plainStrides);

/// Advanced indexing through offset lists: destination (contiguous) gets, for each outer
/// offset o (outerCount of them), each index offset x (indexCount) and each inner offset
/// i (innerCount; consecutive elements when innerOffsets is NULL), in that order, the
/// element of source at o + x + i. The caller has checked every offset.
void ag_index_gather_offsets(const void *source, void *destination, int64_t elementSize,
                             int64_t outerCount, const int64_t *outerOffsets,
                             int64_t indexCount, const int64_t *indexOffsets,
                             int64_t innerCount, const int64_t *innerOffsets);

/// The adjoint of ag_index_gather_offsets: writes (or, with accumulate, adds as `kind`)
/// the contiguous values, in the same order, into destination at o + x + i. Runs in that
/// order on one thread, so with repeated offsets the last write wins and additions sum.
void ag_index_put_offsets(void *destination, const void *values, int64_t elementSize,
                          int32_t kind, bool accumulate,
                          int64_t outerCount, const int64_t *outerOffsets,
                          int64_t indexCount, const int64_t *indexOffsets,
                          int64_t innerCount, const int64_t *innerOffsets);

#ifdef __cplusplus
}
#endif

#endif
