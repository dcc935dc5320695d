#include "CQKKernels.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Four rows of 8 bytes (r0…r3, each from its own row) interleaved to 8 groups of [r0[i], r1[i], r2[i], r3[i]].
static inline void qk_i8_interleave4x8(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3,
                                       uint8_t *dst) {
#if defined(__SSE2__)
    __m128i a, b, c, d;
    a = _mm_loadl_epi64((const __m128i *)r0);
    b = _mm_loadl_epi64((const __m128i *)r1);
    c = _mm_loadl_epi64((const __m128i *)r2);
    d = _mm_loadl_epi64((const __m128i *)r3);
    __m128i ab = _mm_unpacklo_epi8(a, b), cd = _mm_unpacklo_epi8(c, d);
    _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(ab, cd));
    _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpackhi_epi16(ab, cd));
#else
    for (int i = 0; i < 8; i++) {
        dst[4 * i] = r0[i];
        dst[4 * i + 1] = r1[i];
        dst[4 * i + 2] = r2[i];
        dst[4 * i + 3] = r3[i];
    }
#endif
}

void qk_i8_pack_row_panels(const uint8_t *src, long ld, long k, long m, long mr, uint8_t *dst) {
    static const uint8_t zeros[8] = {0};
    long quads = (k + 3) / 4, panel_bytes = quads * mr * 4;
    for (long p0 = 0; p0 < m; p0 += mr) {
        uint8_t *panel = dst + (p0 / mr) * panel_bytes;
        long width = m - p0 < mr ? m - p0 : mr;
        for (long q = 0; q < quads; q++) {
            const uint8_t *rows[4];
            for (int t = 0; t < 4; t++) rows[t] = 4 * q + t < k ? src + (4 * q + t) * ld + p0 : zeros;
            uint8_t *out = panel + q * mr * 4;
            if (mr == 8 && width == 8) {
                qk_i8_interleave4x8(rows[0], rows[1], rows[2], rows[3], out);
                continue;
            }
            for (long i = 0; i < mr; i++) {
                for (int t = 0; t < 4; t++) out[4 * i + t] = (i < width && rows[t] != zeros) ? rows[t][i] : 0;
            }
        }
    }
}

void qk_i8_column_sums(const uint8_t *src, long ld, long k, long m, int32_t *sums) {
    memset(sums, 0, (size_t)m * sizeof(int32_t));
    for (long r = 0; r < k; r++) {
        const uint8_t *row = src + r * ld;
        for (long p = 0; p < m; p++) sums[p] += row[p];
    }
}
