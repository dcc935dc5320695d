#include "CQKKernels.h"
#include <string.h>

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
