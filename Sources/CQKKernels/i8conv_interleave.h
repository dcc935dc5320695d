// Shared by the int8 Conv packers (i8conv_rows.c, i8conv_single_channel.c): one quad of a pixel panel from the
// four tap vectors of its pixels.
#ifndef QK_I8CONV_INTERLEAVE_H
#define QK_I8CONV_INTERLEAVE_H
#if defined(__SSE2__)
#include <emmintrin.h>

// v[b] holds tap b's byte of pixels 0 … mr − 1 (mr 4, 8 or 16); target gets pixel l's four bytes at 4l, and the
// 16-bit pixel sums (low: pixels 0 … 7, high: 8 … 15) add the four taps.
static inline void qk_i8conv_interleave_quad(const __m128i v[4], long mr, uint8_t *target, __m128i *sum_low,
                                             __m128i *sum_high) {
    const __m128i zero = _mm_setzero_si128();
    for (int b = 0; b < 4; b++) {
        *sum_low = _mm_add_epi16(*sum_low, _mm_unpacklo_epi8(v[b], zero));
        *sum_high = _mm_add_epi16(*sum_high, _mm_unpackhi_epi8(v[b], zero));
    }
    const __m128i ab = _mm_unpacklo_epi8(v[0], v[1]), cd = _mm_unpacklo_epi8(v[2], v[3]);
    _mm_storeu_si128((__m128i *)target, _mm_unpacklo_epi16(ab, cd));
    if (mr >= 8) _mm_storeu_si128((__m128i *)(target + 16), _mm_unpackhi_epi16(ab, cd));
    if (mr == 16) {
        const __m128i ab_high = _mm_unpackhi_epi8(v[0], v[1]), cd_high = _mm_unpackhi_epi8(v[2], v[3]);
        _mm_storeu_si128((__m128i *)(target + 32), _mm_unpacklo_epi16(ab_high, cd_high));
        _mm_storeu_si128((__m128i *)(target + 48), _mm_unpackhi_epi16(ab_high, cd_high));
    }
}

// The 16-bit sums of mr pixels widened into row_sums[0 … mr − 1].
static inline void qk_i8conv_store_sums(__m128i sum_low, __m128i sum_high, long mr, int32_t *row_sums) {
    const __m128i zero = _mm_setzero_si128();
    _mm_storeu_si128((__m128i *)row_sums, _mm_unpacklo_epi16(sum_low, zero));
    if (mr >= 8) _mm_storeu_si128((__m128i *)(row_sums + 4), _mm_unpackhi_epi16(sum_low, zero));
    if (mr == 16) {
        _mm_storeu_si128((__m128i *)(row_sums + 8), _mm_unpacklo_epi16(sum_high, zero));
        _mm_storeu_si128((__m128i *)(row_sums + 12), _mm_unpackhi_epi16(sum_high, zero));
    }
}
#endif
#endif
