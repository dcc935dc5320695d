/// Integer GEMM for small matrices whose both operands arrive at run time (attention's P·V): no packing, B widened
/// once to int32 with its zero points subtracted, then 8 columns at a time with AVX2 (or plain C).
#include "CQKKernels.h"
#include <immintrin.h>

void qk_i8_widen_columns(long k, long n, const uint8_t *b, int b_signed, const int32_t *zb, int zb_per_column,
                         int32_t *bw) {
    const int8_t *bs = (const int8_t *)b;
    if (!zb_per_column) {
        int32_t z = zb[0];
        long count = k * n;
        if (b_signed) {
            for (long i = 0; i < count; i++) bw[i] = (int32_t)bs[i] - z;
        } else {
            for (long i = 0; i < count; i++) bw[i] = (int32_t)b[i] - z;
        }
        return;
    }
    for (long p = 0; p < k; p++) {
        if (b_signed) {
            for (long j = 0; j < n; j++) bw[p * n + j] = (int32_t)bs[p * n + j] - zb[j];
        } else {
            for (long j = 0; j < n; j++) bw[p * n + j] = (int32_t)b[p * n + j] - zb[j];
        }
    }
}

/// (a[p] − za) for p < k, as int32.
static inline void qk_i8_widen_row(long k, const uint8_t *a, int a_signed, int32_t za, int32_t *av) {
    for (long p = 0; p < k; p++) av[p] = (a_signed ? (int32_t)(int8_t)a[p] : (int32_t)a[p]) - za;
}

/// Columns j0 … n − 1 of one output row, one at a time (wrapping int32 arithmetic through uint32).
static inline void qk_i8_small_tail(long n, long k, long j0, const int32_t *av, const int32_t *bw, int32_t *c) {
    for (long j = j0; j < n; j++) {
        uint32_t s = 0;
        for (long p = 0; p < k; p++) s += (uint32_t)av[p] * (uint32_t)bw[p * n + j];
        c[j] = (int32_t)s;
    }
}

void qk_i8_small_gemm_generic(long m, long n, long k, const uint8_t *a, int a_signed, const int32_t *za,
                              int za_per_row, const int32_t *bw, int32_t *av, int32_t *acc) {
    for (long i = 0; i < m; i++) {
        qk_i8_widen_row(k, a + i * k, a_signed, za[za_per_row ? i : 0], av);
        qk_i8_small_tail(n, k, 0, av, bw, acc + i * n);
    }
}

__attribute__((target("avx2")))
void qk_i8_small_gemm_avx2(long m, long n, long k, const uint8_t *a, int a_signed, const int32_t *za,
                           int za_per_row, const int32_t *bw, int32_t *av, int32_t *acc) {
    for (long i = 0; i < m; i++) {
        qk_i8_widen_row(k, a + i * k, a_signed, za[za_per_row ? i : 0], av);
        int32_t *c = acc + i * n;
        long j = 0;
        for (; j + 16 <= n; j += 16) {
            __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
            for (long p = 0; p < k; p++) {
                __m256i v = _mm256_set1_epi32(av[p]);
                const int32_t *row = bw + p * n + j;
                s0 = _mm256_add_epi32(s0, _mm256_mullo_epi32(v, _mm256_loadu_si256((const __m256i *)row)));
                s1 = _mm256_add_epi32(s1, _mm256_mullo_epi32(v, _mm256_loadu_si256((const __m256i *)(row + 8))));
            }
            _mm256_storeu_si256((__m256i *)(c + j), s0);
            _mm256_storeu_si256((__m256i *)(c + j + 8), s1);
        }
        for (; j + 8 <= n; j += 8) {
            __m256i s = _mm256_setzero_si256();
            for (long p = 0; p < k; p++) {
                __m256i v = _mm256_set1_epi32(av[p]);
                s = _mm256_add_epi32(s, _mm256_mullo_epi32(v, _mm256_loadu_si256((const __m256i *)(bw + p * n + j))));
            }
            _mm256_storeu_si256((__m256i *)(c + j), s);
        }
        qk_i8_small_tail(n, k, j, av, bw, c);
    }
}
