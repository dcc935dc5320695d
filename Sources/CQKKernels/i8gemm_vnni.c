#include "i8gemm_common.h"
#include <immintrin.h>

#define QK_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define QK_AVX512 __attribute__((target("avx512f,avx512bw")))

/// Four packed A bytes of one row, broadcast to every 32-bit lane.
#define QK_BROADCAST_QUAD(p) _mm512_set1_epi32(qk_i8_load_quad(p))

/// MR rows × 32 columns: per quad, two 64-byte B vectors and MR broadcasts feed 2·MR vpdpbusd.
static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_tile(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile,
                  const int mr) {
    __m512i acc[8][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm512_setzero_si512();
    for (long q = 0; q < kq; q++) {
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
        _mm_prefetch((const char *)(b + 512), _MM_HINT_T0);
        for (int i = 0; i < mr; i++) {
            __m512i ai = QK_BROADCAST_QUAD(a + i * row_step);
            acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], ai, b1);
        }
        a += quad_step;
        b += 128;
    }
    for (int i = 0; i < mr; i++) {
        _mm512_storeu_si512(tile + i * 32, acc[i][0]);
        _mm512_storeu_si512(tile + i * 32 + 16, acc[i][1]);
    }
}

QK_VNNI void qk_i8gemm_vnni_8x32(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                 int32_t *tile) {
    qk_vnni_tile(kq, a, row_step, quad_step, b, tile, 8);
}

/// One row: two quads per step into separate accumulators so the vpdpbusd latency overlaps.
QK_VNNI void qk_i8gemm_vnni_1x32(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                 int32_t *tile) {
    (void)row_step;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, t0 = s0, t1 = s0;
    long q = 0;
    for (; q + 2 <= kq; q += 2) {
        __m512i a0 = QK_BROADCAST_QUAD(a), a1 = QK_BROADCAST_QUAD(a + quad_step);
        s0 = _mm512_dpbusd_epi32(s0, a0, _mm512_loadu_si512(b));
        s1 = _mm512_dpbusd_epi32(s1, a0, _mm512_loadu_si512(b + 64));
        t0 = _mm512_dpbusd_epi32(t0, a1, _mm512_loadu_si512(b + 128));
        t1 = _mm512_dpbusd_epi32(t1, a1, _mm512_loadu_si512(b + 192));
        a += 2 * quad_step;
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

/// round(p / 2^r), ties to even, on 8 int64 lanes (qk_i8_round_shift).
static inline __attribute__((always_inline)) QK_AVX512 __m512i qk_round_shift8x64(__m512i p, __m512i r, __m512i rounding) {
    __m512i odd = _mm512_and_si512(_mm512_srlv_epi64(p, r), _mm512_set1_epi64(1));
    return _mm512_srav_epi64(_mm512_add_epi64(_mm512_add_epi64(p, rounding), odd), r);
}

/// qk_i8_requantize_r on 16 lanes: x widened to int64, multiplied by m (int64 lanes 0–7 and 8–15 in m[0], m[1]),
/// rounded once, saturated to int32, clamped to [qmin, qmax] around the zero point.
static inline __attribute__((always_inline)) QK_AVX512
__m512i qk_requantize16(__m512i x, const __m512i m[2], const __m512i r[2], const __m512i rounding[2],
                        int32_t zero_point, int32_t qmin, int32_t qmax) {
    __m512i low = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(x));
    __m512i high = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(x, 1));
    low = qk_round_shift8x64(_mm512_mul_epi32(low, m[0]), r[0], rounding[0]);
    high = qk_round_shift8x64(_mm512_mul_epi32(high, m[1]), r[1], rounding[1]);
    __m512i scaled = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi64_epi32(low)),
                                        _mm512_cvtsepi64_epi32(high), 1);
    scaled = _mm512_max_epi32(scaled, _mm512_set1_epi32(qmin - zero_point));
    scaled = _mm512_min_epi32(scaled, _mm512_set1_epi32(qmax - zero_point));
    return _mm512_add_epi32(scaled, _mm512_set1_epi32(zero_point));
}

/// 16 int64 per-column constants starting at column c, as two vectors.
static inline __attribute__((always_inline)) QK_AVX512 void qk_load16x64(const int64_t *p, long c, __m512i v[2]) {
    v[0] = _mm512_loadu_si512(p + c);
    v[1] = _mm512_loadu_si512(p + c + 8);
}

QK_AVX512 void qk_i8_finish_tile_avx512(const int32_t *tile, long tile_ld, long mr, long nr, long j0,
                                        const int32_t *row_sum, const int32_t *row_zero, long row_zero_stride,
                                        const qk_i8_epilogue *e, void *out, long row_stride, long col_stride) {
    int32_t lanes[16];
    for (long j = 0; j < nr; j += 16) {
        long count = nr - j < 16 ? nr - j : 16;
        __mmask16 valid = (__mmask16)(count == 16 ? 0xFFFF : (1u << count) - 1);
        const long c = j0 + j;
        __m512i m[2], r[2], rounding[2];
        if (e->multiplier) {
            qk_load16x64(e->multiplier, c, m);
            qk_load16x64(e->shift, c, r);
            qk_load16x64(e->rounding, c, rounding);
        }
        __m512i bias = e->bias ? _mm512_loadu_si512(e->bias + c) : _mm512_setzero_si512();
        for (long i = 0; i < mr; i++) {
            __m512i v = _mm512_add_epi32(_mm512_loadu_si512(tile + i * tile_ld + j), bias);
            if (e->col_zero) {
                v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_loadu_si512(e->col_zero + c),
                                                           _mm512_set1_epi32(row_sum[i])));
            }
            if (e->col_adj) {
                int32_t zero = row_zero ? row_zero[i * row_zero_stride] : 0;
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
            __m512i q = qk_requantize16(v, m, r, rounding, e->zero_point, e->qmin, e->qmax);
            if (col_stride == 1 && count == 16) {
                _mm_storeu_si128((__m128i *)((uint8_t *)out + offset), _mm512_cvtepi32_epi8(q));
            } else if (col_stride == 1) {
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
    const int64_t r = qk_i8_right_shift(shift);
    const __m512i m[2] = {_mm512_set1_epi64(multiplier), _mm512_set1_epi64(multiplier)};
    const __m512i rv[2] = {_mm512_set1_epi64(r), _mm512_set1_epi64(r)};
    const __m512i rounding[2] = {_mm512_set1_epi64((1LL << (r - 1)) - 1), _mm512_set1_epi64((1LL << (r - 1)) - 1)};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i q = qk_requantize16(_mm512_loadu_si512(acc + i), m, rv, rounding, zero_point, qmin, qmax);
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtepi32_epi8(q));
    }
    for (; i < n; i++) out[i] = (uint8_t)qk_i8_requantize1(acc[i], multiplier, shift, zero_point, qmin, qmax);
}

/// Channel-major int8 Conv (qk_i8conv_channels_vnni): MB output channels × one 16-pixel panel, vpdpbusd of each
/// pixel quad vector with channel i's broadcast weight quad (quad q of channel i at w + q·w_step + 4i), each
/// accumulator starting from its channel's bias (NULL: 0; the same wrapping sum as adding it last).
static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_channel_block(long kq, const int8_t *w, long w_step, const uint8_t *panel, const int32_t *bias,
                           __m512i *acc, const int mb) {
#pragma clang loop unroll(full)
    for (int i = 0; i < mb; i++) acc[i] = bias ? _mm512_set1_epi32(bias[i]) : _mm512_setzero_si512();
    for (long q = 0; q < kq; q++) {
        __m512i x = _mm512_loadu_si512(panel + q * 64);
#pragma clang loop unroll(full)
        for (int i = 0; i < mb; i++) {
            acc[i] = _mm512_dpbusd_epi32(acc[i], x, QK_BROADCAST_QUAD((const uint8_t *)(w + q * w_step + 4 * i)));
        }
    }
}

/// qk_i8_requantize_r − zero_point of 16 lanes that share one channel's constants: the even and odd int32 lanes are
/// multiplied in place into int64 (no widening permutes), rounded once (shift count r), clamped to [low, high] in
/// 64 bits and put back together as int32.
static inline __attribute__((always_inline)) QK_AVX512
__m512i qk_requantize16_channel(__m512i v, __m512i m, __m128i r, __m512i rounding, __m512i low, __m512i high) {
    const __m512i one = _mm512_set1_epi64(1);
    __m512i half[2] = {_mm512_mul_epi32(v, m), _mm512_mul_epi32(_mm512_srli_epi64(v, 32), m)};
    for (int k = 0; k < 2; k++) {
        __m512i odd = _mm512_and_si512(_mm512_srl_epi64(half[k], r), one);
        half[k] = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(half[k], rounding), odd), r);
        half[k] = _mm512_min_epi64(_mm512_max_epi64(half[k], low), high);
    }
    return _mm512_mask_blend_epi32((__mmask16)0xAAAA, half[0], _mm512_slli_epi64(half[1], 32));
}

/// qk_requantize16_channel's result from a double path, for channels whose accumulators all satisfy
/// |v| · |multiplier| < 2^53 and |v| · |multiplier| / 2^r ≤ 2^30: v · scale (scale = multiplier · 2^−r) is then exact
/// in double (an integer below 2^53 times a power of two), and one fused multiply-add with 1.5 · 2^52, rounded to
/// nearest with ties to even, leaves round(v · scale) (the magic constant is even, so the ties go the same way) in
/// the low 32 bits of the result: the 64-bit path's value, with fewer instructions. Then clamped to [low, high].
static inline __attribute__((always_inline)) QK_AVX512
__m512i qk_requantize16_scaled(__m512i v, __m512d scale, __m512i low, __m512i high) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    const __m512i low_words = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    __m512d a = _mm512_cvtepi32_pd(_mm512_castsi512_si256(v));
    __m512d b = _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(v, 1));
    a = _mm512_fmadd_round_pd(a, scale, magic, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    b = _mm512_fmadd_round_pd(b, scale, magic, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512i q = _mm512_permutex2var_epi32(_mm512_castpd_si512(a), low_words, _mm512_castpd_si512(b));
    return _mm512_min_epi32(_mm512_max_epi32(q, low), high);
}

/// How a channel block's epilogue stores: int32, requantized through the 64-bit products, or through the exact
/// double scales.
enum { QK_STORE_INT32 = 0, QK_STORE_REQUANTIZED = 1, QK_STORE_SCALED = 2 };

/// The epilogue of channel c's 16 pixels (the bias already in v): zero-point correction by the pixel sums (`zero`),
/// requantization (`mode`), store.
static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_channel_finish(__m512i v, long c, __m512i sums, long lanes, const long *lane_offset,
                            const qk_i8_epilogue *e, const double *scale, void *out, long channel_stride,
                            const int zero, const int mode) {
    if (zero) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(sums, _mm512_set1_epi32(e->col_zero[c])));
    const __mmask16 valid = (__mmask16)(lanes >= 16 ? 0xFFFF : (1u << lanes) - 1);
    const long base = c * channel_stride;
    if (mode == QK_STORE_INT32) {
        if (!lane_offset) {
            _mm512_mask_storeu_epi32((int32_t *)out + base, valid, v);
            return;
        }
        int32_t values[16];
        _mm512_storeu_si512(values, v);
        for (long l = 0; l < lanes; l++) ((int32_t *)out)[base + lane_offset[l]] = values[l];
        return;
    }
    __m512i q;
    if (mode == QK_STORE_SCALED) {
        q = qk_requantize16_scaled(v, _mm512_set1_pd(scale[c]), _mm512_set1_epi32(e->qmin - e->zero_point),
                                   _mm512_set1_epi32(e->qmax - e->zero_point));
    } else {
        q = qk_requantize16_channel(v, _mm512_set1_epi64(e->multiplier[c]), _mm_cvtsi64_si128(e->shift[c]),
                                    _mm512_set1_epi64(e->rounding[c]), _mm512_set1_epi64(e->qmin - e->zero_point),
                                    _mm512_set1_epi64(e->qmax - e->zero_point));
    }
    q = _mm512_add_epi32(q, _mm512_set1_epi32(e->zero_point));
    if (!lane_offset && lanes >= 16) {
        _mm_storeu_si128((__m128i *)((uint8_t *)out + base), _mm512_cvtepi32_epi8(q));
        return;
    }
    if (!lane_offset) {
        _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)out + base, valid, q);
        return;
    }
    uint8_t values[16];
    _mm_storeu_si128((__m128i *)values, _mm512_cvtepi32_epi8(q));
    for (long l = 0; l < lanes; l++) ((uint8_t *)out)[base + lane_offset[l]] = values[l];
}

static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_channels(long kq, long first, long channels, const int8_t *w, const uint8_t *panel, __m512i sums,
                      long lanes, const long *lane_offset, const qk_i8_epilogue *e, const double *scale, void *out,
                      long channel_stride, const int mb, const int zero, const int mode) {
    __m512i acc[16];
    qk_vnni_channel_block(kq, w + first * 4, channels * 4, panel, e->bias ? e->bias + first : NULL, acc, mb);
#pragma clang loop unroll(full)
    for (int i = 0; i < mb; i++) {
        qk_vnni_channel_finish(acc[i], first + i, sums, lanes, lane_offset, e, scale, out, channel_stride, zero, mode);
    }
}

/// Every channel block (16, 8, 4, then 1 at a time) of one panel, for one combination of the epilogue's options.
static inline __attribute__((always_inline)) QK_VNNI
void qk_vnni_channel_blocks(long kq, long channels, const int8_t *w, const uint8_t *panel, __m512i sums, long lanes,
                            const long *lane_offset, const qk_i8_epilogue *e, const double *scale, void *out,
                            long channel_stride, const int zero, const int mode) {
    long c = 0;
#define QK_VNNI_CHANNELS(mb) \
    qk_vnni_channels(kq, c, channels, w, panel, sums, lanes, lane_offset, e, scale, out, channel_stride, mb, zero, mode)
    for (; c + 16 <= channels; c += 16) QK_VNNI_CHANNELS(16);
    for (; c + 8 <= channels; c += 8) QK_VNNI_CHANNELS(8);
    for (; c + 4 <= channels; c += 4) QK_VNNI_CHANNELS(4);
    for (; c < channels; c++) QK_VNNI_CHANNELS(1);
#undef QK_VNNI_CHANNELS
}

QK_VNNI void qk_i8conv_channels_scaled_vnni(long kq, long channels, const int8_t *w, const uint8_t *panel,
                                            const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                            const qk_i8_epilogue *e, const double *scale, void *out,
                                            long channel_stride) {
    const __mmask16 valid = (__mmask16)(lanes >= 16 ? 0xFFFF : (1u << lanes) - 1);
    const __m512i sums = e->col_zero ? _mm512_maskz_loadu_epi32(valid, pixel_sums) : _mm512_setzero_si512();
    // A private copy: stores through `out` cannot change it, so its pointers stay in registers.
    const qk_i8_epilogue local = *e;
    e = &local;
    const int mode = !e->multiplier ? QK_STORE_INT32 : scale ? QK_STORE_SCALED : QK_STORE_REQUANTIZED;
#define QK_VNNI_BLOCKS(zero, mode) \
    qk_vnni_channel_blocks(kq, channels, w, panel, sums, lanes, lane_offset, e, scale, out, channel_stride, zero, mode)
    if (e->col_zero) {
        if (mode == QK_STORE_SCALED) QK_VNNI_BLOCKS(1, QK_STORE_SCALED);
        else if (mode == QK_STORE_REQUANTIZED) QK_VNNI_BLOCKS(1, QK_STORE_REQUANTIZED);
        else QK_VNNI_BLOCKS(1, QK_STORE_INT32);
    } else {
        if (mode == QK_STORE_SCALED) QK_VNNI_BLOCKS(0, QK_STORE_SCALED);
        else if (mode == QK_STORE_REQUANTIZED) QK_VNNI_BLOCKS(0, QK_STORE_REQUANTIZED);
        else QK_VNNI_BLOCKS(0, QK_STORE_INT32);
    }
#undef QK_VNNI_BLOCKS
}

QK_VNNI void qk_i8conv_channels_vnni(long kq, long channels, const int8_t *w, const uint8_t *panel,
                                     const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                     const qk_i8_epilogue *e, void *out, long channel_stride) {
    qk_i8conv_channels_scaled_vnni(kq, channels, w, panel, pixel_sums, lanes, lane_offset, e, NULL, out,
                                   channel_stride);
}
