// fp32 convolution GEMM with the output stage fused into the store (see qk_sconv_gemm_avx512 in CQKKernels.h).
#include "CQKKernels.h"
#include <immintrin.h>

#define QK_MR 8
#define QK_NR 32

/// lo >= v ? lo : v, then hi < v ? hi : v: Swift's max(v, lo) and min(·, hi) (a NaN passes through, −0 vs +0 as
/// Swift gives it).
__attribute__((target("avx512f")))
static inline __m512 qk_sconv_clamp(__m512 v, __m512 lo, __m512 hi) {
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lo, v, _CMP_GE_OQ), v, lo);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
}

/// Stores the `count` (≤ 16) values of v, GEMM columns j … j + count − 1 of output row i, to their NCHW places.
__attribute__((target("avx512f")))
static inline void qk_sconv_put(__m512 v, long i, long j, long count, const qk_sconv_output *out) {
    const long plane = out->plane;
    long image = j / plane, pixel = j % plane;
    float *row = out->y + i * out->row_stride;
    if (plane % 16 == 0) {
        _mm512_mask_storeu_ps(row + image * out->image_stride + pixel, (__mmask16)((1u << count) - 1), v);
        return;
    }
    float values[16];
    _mm512_storeu_ps(values, v);
    for (long t = 0; t < count; t++) {
        row[image * out->image_stride + pixel] = values[t];
        if (++pixel == plane) {
            pixel = 0;
            image++;
        }
    }
}

__attribute__((target("avx512f")))
void qk_sconv_gemm_avx512(long m, long n_begin, long n, long k, const float *w, long ldw, const float *b,
                          long b_row_stride, long b_panel_stride, const qk_sconv_output *out) {
    const __m512 lo = _mm512_set1_ps(out->lo), hi = _mm512_set1_ps(out->hi);
    for (long j0 = n_begin; j0 < n; j0 += QK_NR) {
        const long nc = n - j0 < QK_NR ? n - j0 : QK_NR;
        const long first = nc < 16 ? nc : 16, second = nc - first;
        const __mmask16 mask0 = (__mmask16)((1u << first) - 1), mask1 = (__mmask16)((1u << second) - 1);
        const float *panel = b + (j0 / QK_NR) * b_panel_stride;
        for (long i0 = 0; i0 < m; i0 += QK_MR) {
            const long mr = m - i0 < QK_MR ? m - i0 : QK_MR;
            const float *rows[QK_MR];
            for (int i = 0; i < QK_MR; i++) rows[i] = w + (i0 + (i < mr ? i : mr - 1)) * ldw;
            __m512 acc[QK_MR][2];
#pragma clang loop unroll(full)
            for (int i = 0; i < QK_MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
            const float *bp = panel;
            if (nc == QK_NR) {
                for (long p = 0; p < k; p++, bp += b_row_stride) {
                    const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma clang loop unroll(full)
                    for (int i = 0; i < QK_MR; i++) {
                        const __m512 a = _mm512_set1_ps(rows[i][p]);
                        acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
                        acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
                    }
                }
            } else if (second == 0) {
                // At most 16 columns (one image of ≤ 16 pixels): one vector per row, masked loads.
                for (long p = 0; p < k; p++, bp += b_row_stride) {
                    const __m512 b0 = _mm512_maskz_loadu_ps(mask0, bp);
#pragma clang loop unroll(full)
                    for (int i = 0; i < QK_MR; i++) {
                        acc[i][0] = _mm512_fmadd_ps(_mm512_set1_ps(rows[i][p]), b0, acc[i][0]);
                    }
                }
            } else {
                // The last, partial panel: masked loads never read past column n of a plain row-major B.
                for (long p = 0; p < k; p++, bp += b_row_stride) {
                    const __m512 b0 = _mm512_maskz_loadu_ps(mask0, bp), b1 = _mm512_maskz_loadu_ps(mask1, bp + 16);
#pragma clang loop unroll(full)
                    for (int i = 0; i < QK_MR; i++) {
                        const __m512 a = _mm512_set1_ps(rows[i][p]);
                        acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
                        acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
                    }
                }
            }
            for (long i = 0; i < mr; i++) {
                __m512 v0 = acc[i][0], v1 = acc[i][1];
                const float bias = out->bias ? out->bias[i0 + i] : 0.0f;
                if (bias != 0.0f) {
                    const __m512 vb = _mm512_set1_ps(bias);
                    v0 = _mm512_add_ps(v0, vb);
                    v1 = _mm512_add_ps(v1, vb);
                }
                qk_sconv_put(qk_sconv_clamp(v0, lo, hi), i0 + i, j0, first, out);
                if (second > 0) qk_sconv_put(qk_sconv_clamp(v1, lo, hi), i0 + i, j0 + 16, second, out);
            }
        }
    }
}

__attribute__((target("avx512f")))
void qk_sconv_im2col16_avx512(const float *src, long channels, long in_plane, const int32_t *indices,
                              const uint16_t *masks, long taps, long out_plane, float *dst, long row_stride) {
    const __mmask16 in_mask = (__mmask16)((1u << in_plane) - 1), out_mask = (__mmask16)((1u << out_plane) - 1);
    for (long c = 0; c < channels; c++) {
        const __m512 plane = _mm512_maskz_loadu_ps(in_mask, src + c * in_plane);
        float *row = dst + c * taps * row_stride;
        for (long t = 0; t < taps; t++, row += row_stride) {
            const __m512i index = _mm512_loadu_si512((const void *)(indices + 16 * t));
            _mm512_mask_storeu_ps(row, out_mask, _mm512_maskz_permutexvar_ps((__mmask16)masks[t], index, plane));
        }
    }
}
