// fp32 convolution by shifted input vectors (see qk_sconv_shifted_avx512 in CQKKernels.h): for unit strides and
// output rows as wide as the input rows, the im2col row of tap (c, t) is the input plane shifted by a constant
// offset, so each 16-pixel piece of it is one masked load and no column matrix is built.
#include "CQKKernels.h"
#include <immintrin.h>

#define QK_CHANNELS 16

__attribute__((target("avx512f")))
void qk_sconv_shifted_avx512(long images, long m, long channels, long taps, long in_plane, const float *x,
                             long x_image_stride, const int32_t *tap_offset, const uint16_t *tap_mask,
                             const float *wt, long pixels, const qk_sconv_output *out) {
    const __m512 lo = _mm512_set1_ps(out->lo), hi = _mm512_set1_ps(out->hi);
    const long pieces = (pixels + 15) / 16, rows = channels * taps;
    for (long image = 0; image < images; image++) {
        const float *xi = x + image * x_image_stride;
        float *yi = out->y + image * out->image_stride;
        for (long piece = 0; piece < pieces; piece++) {
            const long o0 = piece * 16;
            const long count = pixels - o0 < 16 ? pixels - o0 : 16;
            const __mmask16 store_mask = (__mmask16)((1u << count) - 1);
            for (long i0 = 0; i0 < m; i0 += QK_CHANNELS) {
                const long mr = m - i0 < QK_CHANNELS ? m - i0 : QK_CHANNELS;
                __m512 acc[QK_CHANNELS];
#pragma clang loop unroll(full)
                for (int i = 0; i < QK_CHANNELS; i++) acc[i] = _mm512_setzero_ps();
                const float *wr = wt + i0 * rows;
                for (long c = 0; c < channels; c++) {
                    const float *xc = xi + c * in_plane + o0;
                    for (long t = 0; t < taps; t++, wr += QK_CHANNELS) {
                        // Lanes whose tap lies in the padding load 0 (and are never read), as im2col writes them.
                        const __m512 col = _mm512_maskz_loadu_ps((__mmask16)tap_mask[t * pieces + piece],
                                                                 xc + tap_offset[t]);
#pragma clang loop unroll(full)
                        for (int i = 0; i < QK_CHANNELS; i++) {
                            acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(wr[i]), col, acc[i]);
                        }
                    }
                }
#pragma clang loop unroll(full)
                for (int i = 0; i < QK_CHANNELS; i++) {
                    if (i >= mr) break;
                    __m512 v = acc[i];
                    const float bias = out->bias ? out->bias[i0 + i] : 0.0f;
                    if (bias != 0.0f) v = _mm512_add_ps(v, _mm512_set1_ps(bias));
                    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(lo, v, _CMP_GE_OQ), v, lo);
                    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
                    _mm512_mask_storeu_ps(yi + (i0 + i) * out->row_stride + o0, store_mask, v);
                }
            }
        }
    }
}
