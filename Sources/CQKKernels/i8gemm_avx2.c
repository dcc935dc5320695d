#include "i8gemm_common.h"
#include <immintrin.h>

#define QK_AVX2 __attribute__((target("avx2")))

static inline int32_t qk_i8_quad(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// vpmaddubsw path, MR rows × 16 columns: u8·s8 pairs summed in int16 (exact when the packed weights passed
/// PackedInt8Weights' pair check), then widened and paired to int32 by vpmaddwd with ones.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2_tile(long kq, const uint8_t *a, const int8_t *b, int32_t *tile, const int mr) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[4][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
        for (int i = 0; i < mr; i++) {
            __m256i ai = _mm256_set1_epi32(qk_i8_quad(a + 4 * i));
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b0), ones));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b1), ones));
        }
        a += 4 * mr;
        b += 64;
    }
    for (int i = 0; i < mr; i++) {
        _mm256_storeu_si256((__m256i *)(tile + i * 16), acc[i][0]);
        _mm256_storeu_si256((__m256i *)(tile + i * 16 + 8), acc[i][1]);
    }
}

QK_AVX2 void qk_i8gemm_avx2_4x16(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    qk_avx2_tile(kq, a, b, tile, 4);
}

QK_AVX2 void qk_i8gemm_avx2_1x16(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    qk_avx2_tile(kq, a, b, tile, 1);
}

/// Exact widening path, MR rows × 16 columns: each quad's bytes are split into even (k₀, k₂) and odd (k₁, k₃)
/// 16-bit halves (zero-extended for A, sign-extended for B), and two vpmaddwd give a₀b₀ + a₂b₂ and a₁b₁ + a₃b₃
/// in int32 with no intermediate saturation.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2wide_tile(long kq, const uint8_t *a, const int8_t *b, int32_t *tile, const int mr) {
    __m256i acc[4][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
        __m256i b0even = _mm256_srai_epi16(_mm256_slli_epi16(b0, 8), 8), b0odd = _mm256_srai_epi16(b0, 8);
        __m256i b1even = _mm256_srai_epi16(_mm256_slli_epi16(b1, 8), 8), b1odd = _mm256_srai_epi16(b1, 8);
        for (int i = 0; i < mr; i++) {
            uint32_t quad = (uint32_t)qk_i8_quad(a + 4 * i);
            __m256i even = _mm256_set1_epi32((int32_t)(quad & 0x00FF00FFu));
            __m256i odd = _mm256_set1_epi32((int32_t)((quad >> 8) & 0x00FF00FFu));
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_add_epi32(_mm256_madd_epi16(even, b0even),
                                                                      _mm256_madd_epi16(odd, b0odd)));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_add_epi32(_mm256_madd_epi16(even, b1even),
                                                                      _mm256_madd_epi16(odd, b1odd)));
        }
        a += 4 * mr;
        b += 64;
    }
    for (int i = 0; i < mr; i++) {
        _mm256_storeu_si256((__m256i *)(tile + i * 16), acc[i][0]);
        _mm256_storeu_si256((__m256i *)(tile + i * 16 + 8), acc[i][1]);
    }
}

QK_AVX2 void qk_i8gemm_avx2wide_4x16(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    qk_avx2wide_tile(kq, a, b, tile, 4);
}

QK_AVX2 void qk_i8gemm_avx2wide_1x16(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    qk_avx2wide_tile(kq, a, b, tile, 1);
}

/// requantize() on 8 lanes (0 ≤ s ≤ 31), the AVX2 twin of qk_requantize16 in i8gemm_vnni.c.
static inline __attribute__((always_inline)) QK_AVX2
__m256i qk_requantize8(__m256i x, __m256i m, __m256i s, int32_t zero_point, int32_t qmin, int32_t qmax) {
    const __m256i nudge = _mm256_set1_epi64x(1LL << 30), one = _mm256_set1_epi32(1), zero = _mm256_setzero_si256();
    __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), nudge), 31);
    __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32));
    odd = _mm256_slli_epi64(_mm256_add_epi64(odd, nudge), 1);
    __m256i high = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i minimum = _mm256_set1_epi32(INT32_MIN);
    __m256i both_min = _mm256_and_si256(_mm256_cmpeq_epi32(x, minimum), _mm256_cmpeq_epi32(m, minimum));
    high = _mm256_blendv_epi8(high, _mm256_set1_epi32(INT32_MAX), both_min);
    __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, s), one);
    __m256i remainder = _mm256_and_si256(high, mask);
    __m256i threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_cmpgt_epi32(zero, high));
    __m256i scaled = _mm256_sub_epi32(_mm256_srav_epi32(high, s), _mm256_cmpgt_epi32(remainder, threshold));
    scaled = _mm256_max_epi32(scaled, _mm256_set1_epi32(qmin - zero_point));
    scaled = _mm256_min_epi32(scaled, _mm256_set1_epi32(qmax - zero_point));
    return _mm256_add_epi32(scaled, _mm256_set1_epi32(zero_point));
}

/// The low byte of each of 8 lanes (already clamped into one byte type's range), packed into 8 bytes.
static inline __attribute__((always_inline)) QK_AVX2 __m128i qk_pack8(__m256i q, int is_signed) {
    __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    return is_signed ? _mm_packs_epi16(words, words) : _mm_packus_epi16(words, words);
}

QK_AVX2 void qk_i8_finish_tile_avx2(const int32_t *tile, long tile_ld, long mr, long nr, long j0,
                                    const int32_t *row_sum, const int32_t *row_zero, long row_zero_stride,
                                    const qk_i8_epilogue *e, void *out, long row_stride, long col_stride) {
    int32_t lanes[8];
    for (long i = 0; i < mr; i++) {
        const int32_t *row = tile + i * tile_ld;
        int32_t zero = row_zero ? row_zero[i * row_zero_stride] : 0;
        for (long j = 0; j < nr; j += 8) {
            long count = nr - j < 8 ? nr - j : 8;
            const long c = j0 + j;
            long offset = i * row_stride + j * col_stride;
            __m256i v = _mm256_loadu_si256((const __m256i *)(row + j));
            if (e->bias) v = _mm256_add_epi32(v, _mm256_loadu_si256((const __m256i *)(e->bias + c)));
            if (e->col_zero) {
                v = _mm256_sub_epi32(v, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(e->col_zero + c)),
                                                           _mm256_set1_epi32(row_sum[i])));
            }
            if (e->col_adj) {
                v = _mm256_sub_epi32(v, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(e->col_adj + c)),
                                                           _mm256_set1_epi32(zero)));
            }
            if (!e->multiplier) {
                _mm256_storeu_si256((__m256i *)lanes, v);
                for (long t = 0; t < count; t++) ((int32_t *)out)[offset + t * col_stride] = lanes[t];
                continue;
            }
            __m256i shift = _mm256_loadu_si256((const __m256i *)(e->shift + c));
            if (_mm256_movemask_ps(_mm256_castsi256_ps(shift)) & ((1 << count) - 1)) {
                // A left shift (real multiplier ≥ 1) needs 64-bit intermediate products: scalar.
                _mm256_storeu_si256((__m256i *)lanes, v);
                for (long t = 0; t < count; t++) qk_i8_store1(e, out, offset + t * col_stride, lanes[t], c + t);
                continue;
            }
            __m256i q = qk_requantize8(v, _mm256_loadu_si256((const __m256i *)(e->multiplier + c)), shift,
                                       e->zero_point, e->qmin, e->qmax);
            __m128i bytes = qk_pack8(q, e->qmin < 0);
            if (col_stride == 1 && count == 8) {
                _mm_storel_epi64((__m128i *)((uint8_t *)out + offset), bytes);
            } else {
                uint8_t packed[16];
                _mm_storeu_si128((__m128i *)packed, bytes);
                for (long t = 0; t < count; t++) ((uint8_t *)out)[offset + t * col_stride] = packed[t];
            }
        }
    }
}

QK_AVX2 void qk_i8_requantize_avx2(long n, const int32_t *acc, int32_t multiplier, int32_t shift,
                                   int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *out) {
    long i = 0;
    if (shift >= 0) {
        __m256i m = _mm256_set1_epi32(multiplier), s = _mm256_set1_epi32(shift > 31 ? 31 : shift);
        for (; i + 8 <= n; i += 8) {
            __m256i q = qk_requantize8(_mm256_loadu_si256((const __m256i *)(acc + i)), m, s, zero_point, qmin, qmax);
            _mm_storel_epi64((__m128i *)(out + i), qk_pack8(q, qmin < 0));
        }
    }
    for (; i < n; i++) out[i] = (uint8_t)qk_i8_requantize1(acc[i], multiplier, shift, zero_point, qmin, qmax);
}
