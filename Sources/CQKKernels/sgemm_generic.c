#include "CQKKernels.h"
#include "sgemm_common.h"

#define QK_MR 4
#define QK_NR 16

void qk_sgemm_micro_generic_4x16(long kc, const float *a, long row_stride, long depth_stride, const float *b,
                                 float *c, long ldc, long mr, long nr, float alpha, int accumulate) {
    QK_SGEMM_ROWS(rows, QK_MR, a, row_stride, mr);
    float acc[QK_MR * QK_NR] = {0};
    long offset = 0;
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < QK_MR; i++) {
            float ai = rows[i][offset];
            for (int j = 0; j < QK_NR; j++) {
                acc[i * QK_NR + j] += ai * b[j];
            }
        }
        offset += depth_stride;
        b += QK_NR;
    }
    qk_sgemm_store_partial(acc, QK_NR, c, ldc, mr, nr, alpha, accumulate);
}

void qk_sgemm_fill_rows_generic(float *c, long ldc, long rows, const float *row, long columns) {
    for (long i = 0; i < rows; i++) {
        for (long j = 0; j < columns; j++) c[i * ldc + j] = row[j];
    }
}
