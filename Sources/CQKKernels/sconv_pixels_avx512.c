// fp32 convolution over pixel tap lists (see qk_sconv_pixels_avx512 in CQKKernels.h): no column matrix, and taps
// that fall in the padding are never multiplied.
#include "CQKKernels.h"
#include <immintrin.h>

#define QK_IMAGES 8

__attribute__((target("avx512f")))
static inline __m512 qk_sconv_pixels_finish(__m512 v, const float *bias, __mmask16 lanes, __m512 lo, __m512 hi) {
    if (bias) {
        const __m512 b = _mm512_maskz_loadu_ps(lanes, bias);
        v = _mm512_mask_add_ps(v, _mm512_cmp_ps_mask(b, _mm512_setzero_ps(), _CMP_NEQ_UQ), v, b);
    }
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lo, v, _CMP_GE_OQ), v, lo);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
}

/// dst[j·dst_ld + i] = src[i·src_ld + j] for i, j < 16.
__attribute__((target("avx512f")))
static inline void qk_transpose16x16(const float *src, long src_ld, float *dst, long dst_ld) {
    __m512 r[16], t[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * src_ld);
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // u[4a + b]: rows 4a … 4a + 3 of columns b, b + 4, b + 8, b + 12 (one per 128-bit lane).
#pragma clang loop unroll(full)
    for (int a = 0; a < 16; a += 4) {
        r[a] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[a]), _mm512_castps_pd(t[a + 2])));
        r[a + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[a]), _mm512_castps_pd(t[a + 2])));
        r[a + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[a + 1]), _mm512_castps_pd(t[a + 3])));
        r[a + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[a + 1]), _mm512_castps_pd(t[a + 3])));
    }
#pragma clang loop unroll(full)
    for (int b = 0; b < 4; b++) {
        const __m512 v0 = _mm512_shuffle_f32x4(r[b], r[4 + b], 0x88), v1 = _mm512_shuffle_f32x4(r[b], r[4 + b], 0xDD);
        const __m512 w0 = _mm512_shuffle_f32x4(r[8 + b], r[12 + b], 0x88);
        const __m512 w1 = _mm512_shuffle_f32x4(r[8 + b], r[12 + b], 0xDD);
        _mm512_storeu_ps(dst + b * dst_ld, _mm512_shuffle_f32x4(v0, w0, 0x88));
        _mm512_storeu_ps(dst + (b + 8) * dst_ld, _mm512_shuffle_f32x4(v0, w0, 0xDD));
        _mm512_storeu_ps(dst + (b + 4) * dst_ld, _mm512_shuffle_f32x4(v1, w1, 0x88));
        _mm512_storeu_ps(dst + (b + 12) * dst_ld, _mm512_shuffle_f32x4(v1, w1, 0xDD));
    }
}

/// Writes one image's staged outputs (stage[o·ld + j], pixel-major) to its NCHW place y[j·row_stride + o].
__attribute__((target("avx512f")))
static void qk_sconv_pixels_unstage(const float *stage, long ld, long m, long pixels, float *y, long row_stride) {
    long j = 0;
    if (pixels % 16 == 0 && row_stride == pixels) {
        for (; j + 16 <= m; j += 16) {
            for (long o = 0; o < pixels; o += 16) {
                qk_transpose16x16(stage + o * ld + j, ld, y + j * row_stride + o, row_stride);
            }
        }
    }
    for (; j < m; j++) {
        for (long o = 0; o < pixels; o++) y[j * row_stride + o] = stage[o * ld + j];
    }
}

/// Interleaves the inputs of `count` (≤ 8) images for the kernel: xi[q·8 + i] = x[i·x_image_stride + q] for
/// q < values, the last image repeated in the lanes past `count` (their sums are computed and never stored).
static void qk_sconv_pixels_interleave(const float *x, long x_image_stride, long count, long values, float *xi) {
    const float *rows[QK_IMAGES];
    for (int i = 0; i < QK_IMAGES; i++) rows[i] = x + (i < count ? i : count - 1) * x_image_stride;
    for (long q = 0; q < values; q++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < QK_IMAGES; i++) xi[q * QK_IMAGES + i] = rows[i][q];
    }
}

__attribute__((target("avx512f")))
void qk_sconv_pixels_avx512(long images, long m, long values, const float *x, long x_image_stride, const float *wt,
                            long ldwt, const int32_t *pixel_start, const int32_t *entry_weight,
                            const int32_t *entry_input, long pixels, const qk_sconv_output *out, float *stage,
                            float *interleaved) {
    const __m512 lo = _mm512_set1_ps(out->lo), hi = _mm512_set1_ps(out->hi);
    for (long i0 = 0; i0 < images; i0 += QK_IMAGES) {
        const long mr = images - i0 < QK_IMAGES ? images - i0 : QK_IMAGES;
        qk_sconv_pixels_interleave(x + i0 * x_image_stride, x_image_stride, mr, values, interleaved);
        for (long o = 0; o < pixels; o++) {
            const long e_begin = pixel_start[o], e_end = pixel_start[o + 1];
            for (long j0 = 0; j0 < m; j0 += 32) {
                __m512 acc[QK_IMAGES][2];
#pragma clang loop unroll(full)
                for (int i = 0; i < QK_IMAGES; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
                const float *wj = wt + j0;
                for (long e = e_begin; e < e_end; e++) {
                    const float *wp = wj + entry_weight[e], *xp = interleaved + entry_input[e];
                    const __m512 b0 = _mm512_loadu_ps(wp), b1 = _mm512_loadu_ps(wp + 16);
#pragma clang loop unroll(full)
                    for (int i = 0; i < QK_IMAGES; i++) {
                        const __m512 a = _mm512_set1_ps(xp[i]);
                        acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
                        acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
                    }
                }
                const long nc = m - j0 < 32 ? m - j0 : 32;
                const long first = nc < 16 ? nc : 16, second = nc - first;
                const __mmask16 mask0 = (__mmask16)((1u << first) - 1), mask1 = (__mmask16)((1u << second) - 1);
                const float *bias = out->bias ? out->bias + j0 : 0;
                for (long i = 0; i < mr; i++) {
                    float *row = stage + (i * pixels + o) * ldwt + j0;
                    _mm512_storeu_ps(row, qk_sconv_pixels_finish(acc[i][0], bias, mask0, lo, hi));
                    _mm512_storeu_ps(row + 16, qk_sconv_pixels_finish(acc[i][1], bias ? bias + 16 : 0, mask1, lo, hi));
                }
            }
        }
        for (long i = 0; i < mr; i++) {
            qk_sconv_pixels_unstage(stage + i * pixels * ldwt, ldwt, m, pixels, out->y + (i0 + i) * out->image_stride,
                                    out->row_stride);
        }
    }
}
