#include "i8gemm_common.h"
#include <immintrin.h>

#define QK_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define QK_AVX512 __attribute__((target("avx512f,avx512bw")))

/// Four packed A bytes of one row, broadcast to every 32-bit lane.
#define QK_BROADCAST_QUAD(p) _mm512_set1_epi32(qk_i8_load_quad(p))

static inline int32_t qk_i8_load_quad(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// MR rows × 32 columns: per quad, two 64-byte B vectors and MR broadcasts feed 2·MR vpdpbusd.
static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_tile(long kq, const uint8_t *a, const int8_t *b, int32_t *tile, const int mr) {
    __m512i acc[8][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
    for (long q = 0; q < kq; q++) {
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
        _mm_prefetch((const char *)(b + 512), _MM_HINT_T0);
        for (int i = 0; i < mr; i++) {
            __m512i ai = QK_BROADCAST_QUAD(a + 4 * i);
            acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], ai, b1);
        }
        a += 4 * mr;
        b += 128;
    }
    for (int i = 0; i < mr; i++) {
        _mm512_storeu_si512(tile + i * 32, acc[i][0]);
        _mm512_storeu_si512(tile + i * 32 + 16, acc[i][1]);
    }
}

QK_VNNI void qk_i8gemm_vnni_8x32(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    qk_vnni_tile(kq, a, b, tile, 8);
}

/// One row: two quads per step into separate accumulators so the vpdpbusd latency overlaps.
QK_VNNI void qk_i8gemm_vnni_1x32(long kq, const uint8_t *a, const int8_t *b, int32_t *tile) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0;
    long q = 0;
    for (; q + 2 <= kq; q += 2) {
        __m512i a0 = QK_BROADCAST_QUAD(a), a1 = QK_BROADCAST_QUAD(a + 4);
        s0 = _mm512_dpbusd_epi32(s0, a0, _mm512_loadu_si512(b));
        s1 = _mm512_dpbusd_epi32(s1, a0, _mm512_loadu_si512(b + 64));
        t0 = _mm512_dpbusd_epi32(t0, a1, _mm512_loadu_si512(b + 128));
        t1 = _mm512_dpbusd_epi32(t1, a1, _mm512_loadu_si512(b + 192));
        a += 8;
        b += 256;
    }
    if (q < kq) {
        __m512i a0 = QK_BROADCAST_QUAD(a);
        s0 = _mm512_dpbusd_epi32(s0, a0, _mm512_loadu_si512(b));
        s1 = _mm512_dpbusd_epi32(s1, a0, _mm512_loadu_si512(b + 64));
    }
    _mm512_storeu_si512(tile, _mm512_add_epi32(s0, t0));
    _mm512_storeu_si512(tile + 16, _mm512_add_epi32(s1, t1));
}

/// requantize() on 16 lanes with per-lane multiplier m and shift s (0 ≤ s ≤ 31): the Q31 high multiply as
/// floor((x·m + 2³⁰) / 2³¹) on even and odd lanes, then the rounding shift, the saturation and the zero point.
static inline __attribute__((always_inline)) QK_AVX512
__m512i qk_requantize16(__m512i x, __m512i m, __m512i s, int32_t zero_point, int32_t qmin, int32_t qmax) {
    const __m512i nudge = _mm512_set1_epi64(1LL << 30), one = _mm512_set1_epi32(1), zero = _mm512_setzero_si512();
    __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), nudge), 31);
    __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32));
    odd = _mm512_slli_epi64(_mm512_add_epi64(odd, nudge), 1);
    __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, odd);
    const __m512i minimum = _mm512_set1_epi32(INT32_MIN);
    __mmask16 both_min = _mm512_cmpeq_epi32_mask(x, minimum) & _mm512_cmpeq_epi32_mask(m, minimum);
    high = _mm512_mask_mov_epi32(high, both_min, _mm512_set1_epi32(INT32_MAX));
    __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, s), one);
    __m512i remainder = _mm512_and_si512(high, mask);
    __m512i threshold = _mm512_srli_epi32(mask, 1);
    threshold = _mm512_mask_add_epi32(threshold, _mm512_cmplt_epi32_mask(high, zero), threshold, one);
    __m512i scaled = _mm512_srav_epi32(high, s);
    scaled = _mm512_mask_add_epi32(scaled, _mm512_cmpgt_epi32_mask(remainder, threshold), scaled, one);
    scaled = _mm512_max_epi32(scaled, _mm512_set1_epi32(qmin - zero_point));
    scaled = _mm512_min_epi32(scaled, _mm512_set1_epi32(qmax - zero_point));
    return _mm512_add_epi32(scaled, _mm512_set1_epi32(zero_point));
}

QK_AVX512 void qk_i8_finish_tile_avx512(const int32_t *tile, long tile_ld, long mr, long nr, long j0,
                                        const int32_t *row_sum, const int32_t *row_zero, long row_zero_stride,
                                        const qk_i8_epilogue *e, void *out, long row_stride, long col_stride) {
    int32_t lanes[16];
    for (long i = 0; i < mr; i++) {
        const int32_t *row = tile + i * tile_ld;
        int32_t zero = row_zero ? row_zero[i * row_zero_stride] : 0;
        for (long j = 0; j < nr; j += 16) {
            long count = nr - j < 16 ? nr - j : 16;
            __mmask16 valid = (__mmask16)(count == 16 ? 0xFFFF : (1u << count) - 1);
            const long c = j0 + j;
            __m512i v = _mm512_loadu_si512(row + j);
            if (e->bias) v = _mm512_add_epi32(v, _mm512_loadu_si512(e->bias + c));
            if (e->col_zero) {
                v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_loadu_si512(e->col_zero + c),
                                                           _mm512_set1_epi32(row_sum[i])));
            }
            if (e->col_adj) {
                v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_loadu_si512(e->col_adj + c),
                                                           _mm512_set1_epi32(zero)));
            }
            long offset = i * row_stride + j * col_stride;
            if (!e->multiplier) {
                if (col_stride == 1) {
                    _mm512_mask_storeu_epi32((int32_t *)out + offset, valid, v);
                } else {
                    _mm512_storeu_si512(lanes, v);
                    for (long t = 0; t < count; t++) ((int32_t *)out)[offset + t * col_stride] = lanes[t];
                }
                continue;
            }
            __m512i shift = _mm512_loadu_si512(e->shift + c);
            if (_mm512_mask_cmplt_epi32_mask(valid, shift, _mm512_setzero_si512())) {
                // A left shift (real multiplier ≥ 1) needs 64-bit intermediate products: scalar.
                _mm512_storeu_si512(lanes, v);
                for (long t = 0; t < count; t++) qk_i8_store1(e, out, offset + t * col_stride, lanes[t], c + t);
                continue;
            }
            __m512i q = qk_requantize16(v, _mm512_loadu_si512(e->multiplier + c), shift, e->zero_point, e->qmin,
                                        e->qmax);
            if (col_stride == 1) {
                _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)out + offset, valid, q);
            } else {
                _mm512_storeu_si512(lanes, q);
                for (long t = 0; t < count; t++) ((uint8_t *)out)[offset + t * col_stride] = (uint8_t)lanes[t];
            }
        }
    }
}

QK_AVX512 void qk_i8_requantize_avx512(long n, const int32_t *acc, int32_t multiplier, int32_t shift,
                                       int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *out) {
    long i = 0;
    if (shift >= 0) {
        __m512i m = _mm512_set1_epi32(multiplier), s = _mm512_set1_epi32(shift > 31 ? 31 : shift);
        for (; i + 16 <= n; i += 16) {
            __m512i q = qk_requantize16(_mm512_loadu_si512(acc + i), m, s, zero_point, qmin, qmax);
            _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtepi32_epi8(q));
        }
    }
    for (; i < n; i++) out[i] = (uint8_t)qk_i8_requantize1(acc[i], multiplier, shift, zero_point, qmin, qmax);
}
