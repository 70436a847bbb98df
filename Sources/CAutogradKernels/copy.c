#include "CAutogradKernels.h"

// Strided copies. Copying a transposed view row by row reads one element per cache line;
// walking it in square tiles reads and writes whole lines from L1 instead.

enum { TILE = 16 };

void ag_copy_2d(int64_t rows, int64_t columns,
                const float *source, int64_t sourceRowStride, int64_t sourceColumnStride,
                float *destination, int64_t destinationRowStride) {
    if (sourceColumnStride == 1) {
        for (int64_t i = 0; i < rows; i++) {
            const float *s = source + i * sourceRowStride;
            float *d = destination + i * destinationRowStride;
            for (int64_t j = 0; j < columns; j++) d[j] = s[j];
        }
        return;
    }
    for (int64_t i0 = 0; i0 < rows; i0 += TILE) {
        int64_t i1 = i0 + TILE < rows ? i0 + TILE : rows;
        for (int64_t j0 = 0; j0 < columns; j0 += TILE) {
            int64_t j1 = j0 + TILE < columns ? j0 + TILE : columns;
            for (int64_t i = i0; i < i1; i++) {
                const float *s = source + i * sourceRowStride;
                float *d = destination + i * destinationRowStride;
                for (int64_t j = j0; j < j1; j++) d[j] = s[j * sourceColumnStride];
            }
        }
    }
}
