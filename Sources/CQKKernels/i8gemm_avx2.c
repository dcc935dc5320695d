#include "i8gemm_common.h"
#include <immintrin.h>

#define QK_AVX2 __attribute__((target("avx2")))

/// vpmaddubsw path, MR rows × 16 columns: u8·s8 pairs summed in int16 (exact when the packed weights passed
/// PackedInt8Weights' pair check), then widened and paired to int32 by vpmaddwd with ones.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2_tile(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile,
                  const int mr) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[4][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
        for (int i = 0; i < mr; i++) {
            __m256i ai = _mm256_set1_epi32(qk_i8_load_quad(a + i * row_step));
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b0), ones));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b1), ones));
        }
        a += quad_step;
        b += 64;
    }
    for (int i = 0; i < mr; i++) {
        _mm256_storeu_si256((__m256i *)(tile + i * 16), acc[i][0]);
        _mm256_storeu_si256((__m256i *)(tile + i * 16 + 8), acc[i][1]);
    }
}

QK_AVX2 void qk_i8gemm_avx2_4x16(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                 int32_t *tile) {
    qk_avx2_tile(kq, a, row_step, quad_step, b, tile, 4);
}

QK_AVX2 void qk_i8gemm_avx2_1x16(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                 int32_t *tile) {
    qk_avx2_tile(kq, a, row_step, quad_step, b, tile, 1);
}

/// Exact widening path, MR rows × 16 columns: each quad's bytes are split into even (k₀, k₂) and odd (k₁, k₃)
/// 16-bit halves (zero-extended for A, sign-extended for B), and two vpmaddwd give a₀b₀ + a₂b₂ and a₁b₁ + a₃b₃
/// in int32 with no intermediate saturation.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2wide_tile(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile,
                      const int mr) {
    __m256i acc[4][2];
    for (int i = 0; i < mr; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
        __m256i b0even = _mm256_srai_epi16(_mm256_slli_epi16(b0, 8), 8), b0odd = _mm256_srai_epi16(b0, 8);
        __m256i b1even = _mm256_srai_epi16(_mm256_slli_epi16(b1, 8), 8), b1odd = _mm256_srai_epi16(b1, 8);
        for (int i = 0; i < mr; i++) {
            uint32_t quad = (uint32_t)qk_i8_load_quad(a + i * row_step);
            __m256i even = _mm256_set1_epi32((int32_t)(quad & 0x00FF00FFu));
            __m256i odd = _mm256_set1_epi32((int32_t)((quad >> 8) & 0x00FF00FFu));
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_add_epi32(_mm256_madd_epi16(even, b0even),
                                                                      _mm256_madd_epi16(odd, b0odd)));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_add_epi32(_mm256_madd_epi16(even, b1even),
                                                                      _mm256_madd_epi16(odd, b1odd)));
        }
        a += quad_step;
        b += 64;
    }
    for (int i = 0; i < mr; i++) {
        _mm256_storeu_si256((__m256i *)(tile + i * 16), acc[i][0]);
        _mm256_storeu_si256((__m256i *)(tile + i * 16 + 8), acc[i][1]);
    }
}

QK_AVX2 void qk_i8gemm_avx2wide_4x16(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                     int32_t *tile) {
    qk_avx2wide_tile(kq, a, row_step, quad_step, b, tile, 4);
}

QK_AVX2 void qk_i8gemm_avx2wide_1x16(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b,
                                     int32_t *tile) {
    qk_avx2wide_tile(kq, a, row_step, quad_step, b, tile, 1);
}

/// round(p / 2^r), ties to even, on 4 int64 lanes (qk_i8_round_shift), then clamped to [low, high]. AVX2 has
/// no 64-bit arithmetic shift: floor(s / 2^r) = ((s ⊕ 2⁶³) >> r) − (2⁶³ >> r) with logical shifts.
static inline __attribute__((always_inline)) QK_AVX2
__m256i qk_round_shift4x64(__m256i p, __m256i r, __m256i rounding, __m256i low, __m256i high) {
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    __m256i odd = _mm256_and_si256(_mm256_srlv_epi64(p, r), _mm256_set1_epi64x(1));
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(p, rounding), odd);
    __m256i q = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(s, sign), r), _mm256_srlv_epi64(sign, r));
    q = _mm256_blendv_epi8(q, low, _mm256_cmpgt_epi64(low, q));
    return _mm256_blendv_epi8(q, high, _mm256_cmpgt_epi64(q, high));
}

/// qk_i8_requantize_r on 8 lanes (the AVX2 twin of qk_requantize16 in i8gemm_vnni.c): x widened to int64,
/// multiplied by m (int64 lanes 0–3 and 4–7 in m[0], m[1]), rounded once, clamped, the zero point added.
static inline __attribute__((always_inline)) QK_AVX2
__m256i qk_requantize8(__m256i x, const __m256i m[2], const __m256i r[2], const __m256i rounding[2],
                       int32_t zero_point, int32_t qmin, int32_t qmax) {
    const __m256i low = _mm256_set1_epi64x(qmin - zero_point), high = _mm256_set1_epi64x(qmax - zero_point);
    __m256i q0 = _mm256_mul_epi32(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(x)), m[0]);
    __m256i q1 = _mm256_mul_epi32(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(x, 1)), m[1]);
    q0 = qk_round_shift4x64(q0, r[0], rounding[0], low, high);
    q1 = qk_round_shift4x64(q1, r[1], rounding[1], low, high);
    // The low 32 bits of each int64 lane, in order.
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    __m256i packed = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(q0, even),
                                               _mm256_permutevar8x32_epi32(q1, even), 0x20);
    return _mm256_add_epi32(packed, _mm256_set1_epi32(zero_point));
}

/// 8 int64 per-column constants starting at column c, as two vectors.
static inline __attribute__((always_inline)) QK_AVX2 void qk_load8x64(const int64_t *p, long c, __m256i v[2]) {
    v[0] = _mm256_loadu_si256((const __m256i *)(p + c));
    v[1] = _mm256_loadu_si256((const __m256i *)(p + c + 4));
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
    for (long j = 0; j < nr; j += 8) {
        long count = nr - j < 8 ? nr - j : 8;
        const long c = j0 + j;
        __m256i m[2], r[2], rounding[2];
        if (e->multiplier) {
            qk_load8x64(e->multiplier, c, m);
            qk_load8x64(e->shift, c, r);
            qk_load8x64(e->rounding, c, rounding);
        }
        __m256i bias = e->bias ? _mm256_loadu_si256((const __m256i *)(e->bias + c)) : _mm256_setzero_si256();
        for (long i = 0; i < mr; i++) {
            long offset = i * row_stride + j * col_stride;
            __m256i v = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(tile + i * tile_ld + j)), bias);
            if (e->col_zero) {
                v = _mm256_sub_epi32(v, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(e->col_zero + c)),
                                                           _mm256_set1_epi32(row_sum[i])));
            }
            if (e->col_adj) {
                int32_t zero = row_zero ? row_zero[i * row_zero_stride] : 0;
                v = _mm256_sub_epi32(v, _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(e->col_adj + c)),
                                                           _mm256_set1_epi32(zero)));
            }
            if (!e->multiplier) {
                _mm256_storeu_si256((__m256i *)lanes, v);
                for (long t = 0; t < count; t++) ((int32_t *)out)[offset + t * col_stride] = lanes[t];
                continue;
            }
            __m128i bytes = qk_pack8(qk_requantize8(v, m, r, rounding, e->zero_point, e->qmin, e->qmax), e->qmin < 0);
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
    const int64_t r = qk_i8_right_shift(shift);
    const __m256i m[2] = {_mm256_set1_epi64x(multiplier), _mm256_set1_epi64x(multiplier)};
    const __m256i rv[2] = {_mm256_set1_epi64x(r), _mm256_set1_epi64x(r)};
    const __m256i rounding[2] = {_mm256_set1_epi64x((1LL << (r - 1)) - 1), _mm256_set1_epi64x((1LL << (r - 1)) - 1)};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i q = qk_requantize8(_mm256_loadu_si256((const __m256i *)(acc + i)), m, rv, rounding, zero_point, qmin,
                                   qmax);
        _mm_storel_epi64((__m128i *)(out + i), qk_pack8(q, qmin < 0));
    }
    for (; i < n; i++) out[i] = (uint8_t)qk_i8_requantize1(acc[i], multiplier, shift, zero_point, qmin, qmax);
}

/// Channel-major int8 Conv (qk_i8conv_channels_avx2): MB output channels × one 8-pixel panel. Each pixel quad is
/// split into its even and odd bytes (u8 as int16) and multiplied by channel c's broadcast weight pairs
/// (w0, w2) and (w1, w3) as int16 with vpmaddwd: exact, no int16 saturation.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2_channel_block(long kq, const int16_t *w, long w_step, const uint8_t *panel, __m256i *acc,
                           const int mb) {
    const __m256i low = _mm256_set1_epi16(0x00FF);
#pragma clang loop unroll(full)
    for (int i = 0; i < mb; i++) acc[i] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(panel + q * 32));
        __m256i even = _mm256_and_si256(x, low), odd = _mm256_srli_epi16(x, 8);
#pragma clang loop unroll(full)
        for (int i = 0; i < mb; i++) {
            const int16_t *pair = w + q * w_step + 4 * i;
            const __m256i w_even = _mm256_set1_epi32(qk_i8_load_quad((const uint8_t *)pair));
            const __m256i w_odd = _mm256_set1_epi32(qk_i8_load_quad((const uint8_t *)(pair + 2)));
            __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(even, w_even), _mm256_madd_epi16(odd, w_odd));
            acc[i] = _mm256_add_epi32(acc[i], sum);
        }
    }
}

/// qk_requantize8 − zero_point through the exact double scale of qk_i8conv_channels_scaled_vnni (same conditions):
/// v · scale is exact, rounded to nearest with ties to even by an explicit rounding (not the MXCSR mode), then
/// converted exactly and clamped to [low, high].
static inline __attribute__((always_inline)) QK_AVX2
__m256i qk_requantize8_scaled(__m256i v, __m256d scale, __m256i low, __m256i high) {
    __m256d a = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(v)), scale);
    __m256d b = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(v, 1)), scale);
    a = _mm256_round_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    b = _mm256_round_pd(b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256i q = _mm256_set_m128i(_mm256_cvtpd_epi32(b), _mm256_cvtpd_epi32(a));
    return _mm256_min_epi32(_mm256_max_epi32(q, low), high);
}

/// The epilogue of channel c's 8 pixels: bias, zero-point correction by the pixel sums, requantization (through
/// `scale` when not NULL), store.
static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2_channel_finish(__m256i v, long c, __m256i sums, long lanes, const long *lane_offset,
                            const qk_i8_epilogue *e, const double *scale, void *out, long channel_stride) {
    if (e->bias) v = _mm256_add_epi32(v, _mm256_set1_epi32(e->bias[c]));
    if (e->col_zero) v = _mm256_sub_epi32(v, _mm256_mullo_epi32(sums, _mm256_set1_epi32(e->col_zero[c])));
    const long base = c * channel_stride;
    if (!e->multiplier) {
        int32_t values[8];
        if (!lane_offset && lanes == 8) {
            _mm256_storeu_si256((__m256i *)((int32_t *)out + base), v);
            return;
        }
        _mm256_storeu_si256((__m256i *)values, v);
        for (long l = 0; l < lanes; l++) ((int32_t *)out)[base + (lane_offset ? lane_offset[l] : l)] = values[l];
        return;
    }
    __m256i q;
    if (scale) {
        q = qk_requantize8_scaled(v, _mm256_set1_pd(scale[c]), _mm256_set1_epi32(e->qmin - e->zero_point),
                                  _mm256_set1_epi32(e->qmax - e->zero_point));
        q = _mm256_add_epi32(q, _mm256_set1_epi32(e->zero_point));
    } else {
        const __m256i m[2] = {_mm256_set1_epi64x(e->multiplier[c]), _mm256_set1_epi64x(e->multiplier[c])};
        const __m256i r[2] = {_mm256_set1_epi64x(e->shift[c]), _mm256_set1_epi64x(e->shift[c])};
        const __m256i rounding[2] = {_mm256_set1_epi64x(e->rounding[c]), _mm256_set1_epi64x(e->rounding[c])};
        q = qk_requantize8(v, m, r, rounding, e->zero_point, e->qmin, e->qmax);
    }
    __m128i bytes = qk_pack8(q, e->qmin < 0);
    if (!lane_offset && lanes == 8) {
        _mm_storel_epi64((__m128i *)((uint8_t *)out + base), bytes);
        return;
    }
    uint8_t values[16];
    _mm_storeu_si128((__m128i *)values, bytes);
    for (long l = 0; l < lanes; l++) ((uint8_t *)out)[base + (lane_offset ? lane_offset[l] : l)] = values[l];
}

static inline __attribute__((always_inline)) QK_AVX2
void qk_avx2_channels(long kq, long first, long channels, const int16_t *w, const uint8_t *panel, __m256i sums,
                      long lanes, const long *lane_offset, const qk_i8_epilogue *e, const double *scale, void *out,
                      long channel_stride, const int mb) {
    __m256i acc[8];
    qk_avx2_channel_block(kq, w + first * 4, channels * 4, panel, acc, mb);
#pragma clang loop unroll(full)
    for (int i = 0; i < mb; i++) {
        qk_avx2_channel_finish(acc[i], first + i, sums, lanes, lane_offset, e, scale, out, channel_stride);
    }
}

QK_AVX2 void qk_i8conv_channels_avx2(long kq, long channels, const int16_t *w, const uint8_t *panel,
                                     const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                     const qk_i8_epilogue *e, void *out, long channel_stride) {
    qk_i8conv_channels_scaled_avx2(kq, channels, w, panel, pixel_sums, lanes, lane_offset, e, NULL, out,
                                   channel_stride);
}

QK_AVX2 void qk_i8conv_channels_scaled_avx2(long kq, long channels, const int16_t *w, const uint8_t *panel,
                                            const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                            const qk_i8_epilogue *e, const double *scale, void *out,
                                            long channel_stride) {
    if (!e->multiplier) scale = NULL;
    int32_t padded[8] = {0};
    if (e->col_zero) memcpy(padded, pixel_sums, (size_t)(lanes < 8 ? lanes : 8) * sizeof(int32_t));
    const __m256i sums = _mm256_loadu_si256((const __m256i *)padded);
    long c = 0;
#define QK_AVX2_CHANNELS(mb) \
    qk_avx2_channels(kq, c, channels, w, panel, sums, lanes, lane_offset, e, scale, out, channel_stride, mb)
    for (; c + 8 <= channels; c += 8) QK_AVX2_CHANNELS(8);
    for (; c + 4 <= channels; c += 4) QK_AVX2_CHANNELS(4);
    for (; c < channels; c++) QK_AVX2_CHANNELS(1);
#undef QK_AVX2_CHANNELS
}
