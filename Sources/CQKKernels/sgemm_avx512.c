#include "CQKKernels.h"
#include "sgemm_common.h"
#include <immintrin.h>

#define QK_MR 12
#define QK_NR 32

/// The register tile for `tile_rows` ≤ 12 rows (a compile-time constant once inlined, so the unused
/// accumulators vanish): each C element gets the same multiply-adds in the same order for every tile height.
__attribute__((target("avx512f"), always_inline))
static inline void micro_rows(const int tile_rows, long kc, const float *a, long row_stride, long depth_stride,
                              const float *b, float *c, long ldc, long mr, long nr, float alpha, int accumulate) {
    QK_SGEMM_ROWS(rows, QK_MR, a, row_stride, mr);
    __m512 acc[QK_MR][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < tile_rows; i++) {
        acc[i][0] = _mm512_setzero_ps();
        acc[i][1] = _mm512_setzero_ps();
    }
    long offset = 0;
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b);
        __m512 b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(b + 4 * QK_NR), _MM_HINT_T0);
#pragma clang loop unroll(full)
        for (int i = 0; i < tile_rows; i++) {
            __m512 ai = _mm512_set1_ps(rows[i][offset]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        offset += depth_stride;
        b += QK_NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (mr == tile_rows && nr == QK_NR) {
#pragma clang loop unroll(full)
        for (int i = 0; i < tile_rows; i++) {
            float *row = c + i * ldc;
            if (accumulate) {
                // alpha · acc rounded, then added (as qk_sgemm_store_partial does): every tile height and
                // position gives a C element the same bytes.
                _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), _mm512_mul_ps(va, acc[i][0])));
                _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), _mm512_mul_ps(va, acc[i][1])));
            } else {
                _mm512_storeu_ps(row, _mm512_mul_ps(va, acc[i][0]));
                _mm512_storeu_ps(row + 16, _mm512_mul_ps(va, acc[i][1]));
            }
        }
        return;
    }
    float tile[QK_MR * QK_NR];
#pragma clang loop unroll(full)
    for (int i = 0; i < tile_rows; i++) {
        _mm512_storeu_ps(tile + i * QK_NR, acc[i][0]);
        _mm512_storeu_ps(tile + i * QK_NR + 16, acc[i][1]);
    }
    qk_sgemm_store_partial(tile, QK_NR, c, ldc, mr, nr, alpha, accumulate);
}

__attribute__((target("avx512f")))
void qk_sgemm_micro_avx512_12x32(long kc, const float *a, long row_stride, long depth_stride, const float *b,
                                 float *c, long ldc, long mr, long nr, float alpha, int accumulate) {
    // A short edge panel (m = 16: 12 + 4 rows) runs a shorter tile instead of repeating its last valid row up to
    // the full height; a single row (a matrix-vector product) a one-row tile. Every height does the same
    // multiply-adds in the same order, so a row's result never depends on where it falls in the batch.
    if (mr == 1) {
        micro_rows(1, kc, a, row_stride, depth_stride, b, c, ldc, mr, nr, alpha, accumulate);
    } else if (mr <= 4) {
        micro_rows(4, kc, a, row_stride, depth_stride, b, c, ldc, mr, nr, alpha, accumulate);
    } else if (mr <= 8) {
        micro_rows(8, kc, a, row_stride, depth_stride, b, c, ldc, mr, nr, alpha, accumulate);
    } else {
        micro_rows(QK_MR, kc, a, row_stride, depth_stride, b, c, ldc, mr, nr, alpha, accumulate);
    }
}

__attribute__((target("avx512f")))
void qk_sgemm_fill_rows_avx512(float *c, long ldc, long rows, const float *row, long columns) {
    for (long i = 0; i < rows; i++) {
        float *target = c + i * ldc;
        long j = 0;
        for (; j + 16 <= columns; j += 16) _mm512_storeu_ps(target + j, _mm512_loadu_ps(row + j));
        if (j < columns) {
            __mmask16 valid = (__mmask16)((1u << (columns - j)) - 1);
            _mm512_mask_storeu_ps(target + j, valid, _mm512_maskz_loadu_ps(valid, row + j));
        }
    }
}
