#include "CQKKernels.h"
#include "sgemm_common.h"
#include <immintrin.h>

#define QK_MR 12
#define QK_NR 32

__attribute__((target("avx512f")))
void qk_sgemm_micro_avx512_12x32(long kc, const float *a, long row_stride, long depth_stride, const float *b,
                                 float *c, long ldc, long mr, long nr, float alpha, int accumulate) {
    QK_SGEMM_ROWS(rows, QK_MR, a, row_stride, mr);
    __m512 acc[QK_MR][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < QK_MR; i++) {
        acc[i][0] = _mm512_setzero_ps();
        acc[i][1] = _mm512_setzero_ps();
    }
    long offset = 0;
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b);
        __m512 b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(b + 4 * QK_NR), _MM_HINT_T0);
#pragma clang loop unroll(full)
        for (int i = 0; i < QK_MR; i++) {
            __m512 ai = _mm512_set1_ps(rows[i][offset]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        offset += depth_stride;
        b += QK_NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (mr == QK_MR && nr == QK_NR) {
#pragma clang loop unroll(full)
        for (int i = 0; i < QK_MR; i++) {
            float *row = c + i * ldc;
            if (accumulate) {
                _mm512_storeu_ps(row, _mm512_fmadd_ps(va, acc[i][0], _mm512_loadu_ps(row)));
                _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_loadu_ps(row + 16)));
            } else {
                _mm512_storeu_ps(row, _mm512_mul_ps(va, acc[i][0]));
                _mm512_storeu_ps(row + 16, _mm512_mul_ps(va, acc[i][1]));
            }
        }
        return;
    }
    float tile[QK_MR * QK_NR];
#pragma clang loop unroll(full)
    for (int i = 0; i < QK_MR; i++) {
        _mm512_storeu_ps(tile + i * QK_NR, acc[i][0]);
        _mm512_storeu_ps(tile + i * QK_NR + 16, acc[i][1]);
    }
    qk_sgemm_store_partial(tile, QK_NR, c, ldc, mr, nr, alpha, accumulate);
}
