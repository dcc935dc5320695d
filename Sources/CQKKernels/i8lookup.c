/// Per-column byte tables (the IntegerLookup op): y[r, j] = table[j · 256 + (x[r, j] ^ flip)].
#include "CQKKernels.h"

void qk_i8_column_lookup(long rows, long n, const uint8_t *x, const uint8_t *restrict table, uint8_t flip,
                         uint8_t *y) {
    for (long r = 0; r < rows; r++) {
        const uint8_t *in = x + r * n;
        uint8_t *out = y + r * n;
        long j = 0;
        for (; j + 4 <= n; j += 4) {
            uint8_t a = table[j * 256 + (in[j] ^ flip)];
            uint8_t b = table[(j + 1) * 256 + (in[j + 1] ^ flip)];
            uint8_t c = table[(j + 2) * 256 + (in[j + 2] ^ flip)];
            uint8_t d = table[(j + 3) * 256 + (in[j + 3] ^ flip)];
            out[j] = a;
            out[j + 1] = b;
            out[j + 2] = c;
            out[j + 3] = d;
        }
        for (; j < n; j++) out[j] = table[j * 256 + (in[j] ^ flip)];
    }
}
