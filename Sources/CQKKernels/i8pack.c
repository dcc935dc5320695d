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

/// First output index o in [0, count) with 0 ≤ o·stride + offset, and the end of those with o·stride + offset < size.
static inline void qk_valid_range(long count, long stride, long offset, long size, long *lo, long *hi) {
    long low = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    long high = size - offset <= 0 ? 0 : (size - offset + stride - 1) / stride;
    if (high > count) high = count;
    if (low > high) low = high;
    *lo = low;
    *hi = high;
}

void qk_i8_im2col(const uint8_t *x, long channels, const long *g, uint8_t padding, uint8_t flip, uint8_t *col,
                  long ld) {
    const long id = g[0], ih = g[1], iw = g[2], kd = g[3], kh = g[4], kw = g[5], od = g[6], oh = g[7], ow = g[8];
    const long sd = g[9], sh = g[10], sw = g[11], dd = g[12], dh = g[13], dw = g[14], pd = g[15], ph = g[16],
               pw = g[17];
    uint8_t *row = col;
    for (long c = 0; c < channels; c++) {
        const uint8_t *plane = x + c * id * ih * iw;
        for (long td = 0; td < kd; td++) {
            long offD = td * dd - pd, d0, d1;
            qk_valid_range(od, sd, offD, id, &d0, &d1);
            for (long th = 0; th < kh; th++) {
                long offH = th * dh - ph, h0, h1;
                qk_valid_range(oh, sh, offH, ih, &h0, &h1);
                for (long tw = 0; tw < kw; tw++) {
                    long offW = tw * dw - pw, left, right;
                    qk_valid_range(ow, sw, offW, iw, &left, &right);
                    for (long zd = 0; zd < od; zd++) {
                        for (long zh = 0; zh < oh; zh++) {
                            uint8_t *dst = row + (zd * oh + zh) * ow;
                            if (zd < d0 || zd >= d1 || zh < h0 || zh >= h1) {
                                memset(dst, padding, (size_t)ow);
                                continue;
                            }
                            const uint8_t *line = plane + ((zd * sd + offD) * ih + zh * sh + offH) * iw + offW;
                            long zw = 0;
                            for (; zw < left; zw++) dst[zw] = padding;
                            if (sw == 1) {
                                for (; zw < right; zw++) dst[zw] = line[zw] ^ flip;
                            } else {
                                for (; zw < right; zw++) dst[zw] = line[zw * sw] ^ flip;
                            }
                            for (; zw < ow; zw++) dst[zw] = padding;
                        }
                    }
                    row += ld;
                }
            }
        }
    }
}

void qk_i8_pack_rows(const uint8_t *src, long lda, long k, long m, long mr, uint8_t flip, uint8_t *dst,
                     int32_t *row_sums) {
    long quads = (k + 3) / 4, panels = (m + mr - 1) / mr;
    uint32_t flip4 = (uint32_t)flip * 0x01010101u;
    memset(dst, 0, (size_t)(panels * quads * mr * 4));
    for (long i = 0; i < m; i++) {
        const uint8_t *row = src + i * lda;
        uint8_t *out = dst + (i / mr) * quads * mr * 4 + (i % mr) * 4;
        long p = 0;
        for (; p + 4 <= k; p += 4) {
            uint32_t word;
            memcpy(&word, row + p, 4);
            word ^= flip4;
            memcpy(out + (p / 4) * mr * 4, &word, 4);
        }
        for (; p < k; p++) out[(p / 4) * mr * 4 + (p & 3)] = row[p] ^ flip;
        if (row_sums) {
            int32_t sum = 0;
            for (long t = 0; t < k; t++) sum += (uint8_t)(row[t] ^ flip);
            row_sums[i] = sum;
        }
    }
}

void qk_i8_row_sums(const uint8_t *src, long lda, long k, long m, int32_t *sums) {
    for (long i = 0; i < m; i++) {
        const uint8_t *row = src + i * lda;
        int32_t sum = 0;
        for (long t = 0; t < k; t++) sum += row[t];
        sums[i] = sum;
    }
}

void qk_i8_pack_columns(const uint8_t *src, long ld_k, long ld_n, long k, long n, long nr, uint8_t flip, int8_t *dst,
                        int32_t *col_sums) {
    long quads = (k + 3) / 4, panels = (n + nr - 1) / nr;
    memset(dst, 0, (size_t)(panels * quads * nr * 4));
    memset(col_sums, 0, (size_t)n * sizeof(int32_t));
    for (long p = 0; p < k; p++) {
        const uint8_t *row = src + p * ld_k;
        int8_t *quad = dst + (p / 4) * nr * 4 + (p & 3);
        for (long j = 0; j < n; j++) {
            int8_t v = (int8_t)(row[j * ld_n] ^ flip);
            quad[(j / nr) * quads * nr * 4 + (j % nr) * 4] = v;
            col_sums[j] += v;
        }
    }
}

int qk_i8_pairs_fit_int16(const int8_t *v, long count) {
    int fit = 1;
    for (long i = 0; i + 1 < count; i += 2) {
        int a = v[i] < 0 ? -v[i] : v[i], b = v[i + 1] < 0 ? -v[i + 1] : v[i + 1];
        fit &= a + b <= 128;
    }
    return fit;
}
