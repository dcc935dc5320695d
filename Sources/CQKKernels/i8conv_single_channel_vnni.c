// Int8 convolution of single-channel inputs on AVX-512 VNNI + VBMI (qk_i8conv_single_channel_vnni in
// CQKKernels.h): each panel's pixel quads are gathered from the unpadded image in registers by one two-table byte
// permute per quad (no padded copy, no packed panel in memory), every output channel of the panel runs vpdpbusd on
// them, and requantization is one fused multiply-add per 8 lanes in double precision:
//
//     fma(v, M, 1.5 · 2^52) = 1.5 · 2^52 + round_half_even(v · M)   for |v · M| < 2^51, M = multiplier · 2^−r,
//
// because the fused operation rounds the exact v · M + 1.5 · 2^52 once, to nearest even, in [2^52, 2^53) where the
// spacing of doubles is 1, and 1.5 · 2^52 is even. M = multiplier / 2^r is exact in a double, so this is
// FixedPoint.swift's requantize (one rounding of the exact v · multiplier / 2^r, ties to even) bit for bit; with
// M < 1 and |v| ≤ 2^31, round(v · M) fits int32 and sits in the low 32 bits of the double.
#include <string.h>
#include <immintrin.h>
#include "CQKKernels.h"

#define QK_VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")))
#define QK_MAX_QUADS 8
#define QK_NEAREST (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

int qk_cpu_has_avx512vbmi(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

long qk_i8conv_single_channel_vnni_scratch(long panels, long kq, long channels) {
    return 64 + (2 * kq + 1) * panels * 64 + channels * (long)sizeof(double);
}

/// The double-precision requantization scale multiplier · 2^−r of every channel, or 0 when one is not below 1
/// (the rounding above would not fit int32).
static int qk_requantize_scales(long channels, const qk_i8_epilogue *e, double *scale) {
    for (long c = 0; c < channels; c++) {
        const int64_t m = e->multiplier[c], r = e->shift[c];
        if (m < 0 || r < 1 || r > 62 || m >= ((int64_t)1 << r)) return 0;
        const uint64_t bits = (uint64_t)(1023 - r) << 52;
        double power;
        memcpy(&power, &bits, sizeof power);
        scale[c] = (double)m * power;
    }
    return 1;
}

/// round_half_even(v · scale) of 16 int32 lanes given as u = v + 2^31 (see the top of the file), as int32. Each
/// u becomes the double 2^52 + u by pairing it with the high word of 2^52 and, less 2^52 + 2^31, v exactly.
static inline __attribute__((always_inline)) QK_VBMI __m512i qk_round_scaled(__m512i u, double scale) {
    const __m512d magic = _mm512_set1_pd(6755399441055744.0), m = _mm512_set1_pd(scale);
    const __m512d offset = _mm512_set1_pd(4503601774854144.0);
    const __m512i exponent = _mm512_set1_epi32(0x43300000);
    // unpacklo holds lanes 4i, 4i + 1 and unpackhi 4i + 2, 4i + 3 (as qwords); the permute restores lane order.
    const __m512i low_words = _mm512_setr_epi32(0, 2, 16, 18, 4, 6, 20, 22, 8, 10, 24, 26, 12, 14, 28, 30);
    const __m512d low = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_unpacklo_epi32(u, exponent)), offset);
    const __m512d high = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_unpackhi_epi32(u, exponent)), offset);
    const __m512d low_rounded = _mm512_fmadd_round_pd(low, m, magic, QK_NEAREST);
    const __m512d high_rounded = _mm512_fmadd_round_pd(high, m, magic, QK_NEAREST);
    return _mm512_permutex2var_epi32(_mm512_castpd_si512(low_rounded), low_words, _mm512_castpd_si512(high_rounded));
}

/// Output constants of one call.
typedef struct {
    const int32_t *w;           // channel c's quad q at w[q·channels + c]
    const int32_t *bias;        // NULL = 0
    const int32_t *col_zero;    // NULL = 0
    const double *scale;        // NULL: int32 output
    long channels, pixels, panels;
    __m512i zero_point, qmin, qmax;  // int16 zero point; byte clamp bounds
} qk_sc_output;

/// Up to four panels' rounded values of one channel (64 pixels from `out`): zero point added and clamped through
/// saturating packs (int16, then bytes) and the byte clamp, then a dword permute that puts panel j's 16 bytes in
/// 128-bit lane j, stored as one run of `count` ≤ 64 bytes.
static inline __attribute__((always_inline)) QK_VBMI
void qk_sc_store4(const __m512i k[4], long count, const qk_sc_output *o, uint8_t *out, const int is_signed) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(k[0], k[1]), o->zero_point);
    const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(k[2], k[3]), o->zero_point);
    __m512i bytes;
    if (is_signed) {
        bytes = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(a, b), o->qmin), o->qmax);
    } else {
        bytes = _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(a, b), o->qmin), o->qmax);
    }
    bytes = _mm512_permutexvar_epi32(order, bytes);
    if (count >= 64) {
        _mm512_storeu_si512(out, bytes);
    } else {
        _mm512_mask_storeu_epi8(out, ((__mmask64)1 << count) - 1, bytes);
    }
}

/// Channel c of every panel of one image from its gathered quads (`x`, kq per panel) and pixel sums.
static inline __attribute__((always_inline)) QK_VBMI
void qk_sc_channel(const __m512i *x, const __m512i *sums, long c, const qk_sc_output *o, void *image_out,
                   const int kq, const int zero, const int mode) {
    __m512i w[QK_MAX_QUADS];
#pragma clang loop unroll(full)
    for (int q = 0; q < kq; q++) w[q] = _mm512_set1_epi32(o->w[q * o->channels + c]);
    // Byte outputs accumulate u = v + 2^31 (qk_round_scaled).
    const int32_t offset = mode ? INT32_MIN : 0;
    const __m512i bias = _mm512_set1_epi32((o->bias ? o->bias[c] : 0) ^ offset);
    const __m512i col_zero = zero ? _mm512_set1_epi32(o->col_zero[c]) : _mm512_setzero_si512();
    const double scale = mode ? o->scale[c] : 0;
    for (long p0 = 0; p0 < o->panels; p0 += 4) {
        __m512i k[4];
#pragma clang loop unroll(full)
        for (int j = 0; j < 4; j++) {
            const long p = p0 + j;
            k[j] = _mm512_setzero_si512();
            if (j > 0 && p >= o->panels) continue;
            __m512i acc = bias;
#pragma clang loop unroll(full)
            for (int q = 0; q < kq; q++) acc = _mm512_dpbusd_epi32(acc, x[p * kq + q], w[q]);
            if (zero) acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(sums[p], col_zero));
            const long first = 16 * p, lanes = o->pixels - first < 16 ? o->pixels - first : 16;
            if (mode == 0) {
                _mm512_mask_storeu_epi32((int32_t *)image_out + c * o->pixels + first,
                                         (__mmask16)(lanes >= 16 ? 0xFFFF : (1u << lanes) - 1), acc);
            } else {
                k[j] = qk_round_scaled(acc, scale);
            }
        }
        if (mode != 0) {
            const long first = 16 * p0;
            qk_sc_store4(k, o->pixels - first, o, (uint8_t *)image_out + c * o->pixels + first, mode == 2);
        }
    }
}

/// Every image, for one quad count and epilogue combination (mode 0: int32, 1: u8, 2: s8): each image's panels
/// are gathered into `x` (and their pixel sums into `sums` when weights have zero points), then run channel by
/// channel.
static inline __attribute__((always_inline)) QK_VBMI
void qk_sc_images(long images, const uint8_t *image_in, long in_plane, uint8_t flip, const int32_t *start,
                  const __m512i *index, const uint64_t *inside, long taps, const qk_sc_output *o, void *out,
                  __m512i *x, __m512i *sums, const int kq, const int zero, const int mode) {
    const __m512i flips = _mm512_set1_epi8((char)flip);
    const long element = mode == 0 ? 4 : 1, image_bytes = o->channels * o->pixels * element;
    const long last_taps = taps - 4 * (kq - 1);
    const __m512i ones = _mm512_set1_epi32(0x01010101);
    const __m512i last_ones = _mm512_set1_epi32((int)(0x01010101u >> (8 * (4 - last_taps))));
    for (long n = 0; n < images; n++) {
        const uint8_t *image = image_in + n * in_plane;
        long loaded = -1;
        __m512i low = _mm512_setzero_si512(), high = low;
        for (long p = 0; p < o->panels; p++) {
            if (start[p] != loaded) {
                loaded = start[p];
                const long available = in_plane - loaded;
                const __mmask64 low_mask = available >= 64 ? ~0ULL : (1ULL << available) - 1;
                low = _mm512_xor_si512(_mm512_maskz_loadu_epi8(low_mask, image + loaded), flips);
                if (available > 64) {
                    const __mmask64 high_mask = available >= 128 ? ~0ULL : (1ULL << (available - 64)) - 1;
                    high = _mm512_xor_si512(_mm512_maskz_loadu_epi8(high_mask, image + loaded + 64), flips);
                }
            }
            __m512i sum = _mm512_setzero_si512();
#pragma clang loop unroll(full)
            for (int q = 0; q < kq; q++) {
                const long i = p * kq + q;
                x[i] = _mm512_mask2_permutex2var_epi8(low, index[i], inside[i], high);
                if (zero) sum = _mm512_dpbusd_epi32(sum, x[i], q == kq - 1 ? last_ones : ones);
            }
            if (zero) sums[p] = sum;
        }
        void *image_out = (uint8_t *)out + n * image_bytes;
        for (long c = 0; c < o->channels; c++) qk_sc_channel(x, sums, c, o, image_out, kq, zero, mode);
    }
}

/// One quad count: the epilogue combinations.
static inline __attribute__((always_inline)) QK_VBMI
void qk_sc_dispatch(long images, const uint8_t *x, long in_plane, uint8_t flip, const int32_t *start,
                    const __m512i *index, const uint64_t *inside, long taps, const qk_sc_output *o, void *out,
                    __m512i *gathered, __m512i *sums, const int kq, const int mode) {
    if (o->col_zero) {
        qk_sc_images(images, x, in_plane, flip, start, index, inside, taps, o, out, gathered, sums, kq, 1, mode);
    } else {
        qk_sc_images(images, x, in_plane, flip, start, index, inside, taps, o, out, gathered, sums, kq, 0, mode);
    }
}

QK_VBMI int qk_i8conv_single_channel_vnni(long images, const uint8_t *x, long in_plane, uint8_t padding,
                                          uint8_t flip, long pixels, long panels, long taps, const int32_t *start,
                                          const uint8_t *index, const uint64_t *inside, long channels,
                                          const int8_t *w, const qk_i8_epilogue *e, void *out, uint8_t *scratch) {
    const long kq = (taps + 3) / 4;
    if (kq < 1 || kq > QK_MAX_QUADS || panels != (pixels + 15) / 16) return 0;
    __m512i *prepared = (__m512i *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    __m512i *gathered = prepared + panels * kq, *sums = gathered + panels * kq;
    double *scale = (double *)(sums + panels);
    if (e->multiplier && !qk_requantize_scales(channels, e, scale)) return 0;
    // The padding lanes of each gather take the stored zero point from the index vector itself.
    const __m512i pad = _mm512_set1_epi8((char)padding);
    for (long i = 0; i < panels * kq; i++) {
        prepared[i] = _mm512_mask_blend_epi8(inside[i], pad, _mm512_loadu_si512(index + 64 * i));
    }
    const int is_signed = e->multiplier && e->qmin < 0;
    qk_sc_output o = {
        .w = (const int32_t *)w, .bias = e->bias, .col_zero = e->col_zero, .scale = e->multiplier ? scale : NULL,
        .channels = channels, .pixels = pixels, .panels = panels, .zero_point = _mm512_set1_epi16((short)e->zero_point),
        .qmin = _mm512_set1_epi8((char)e->qmin), .qmax = _mm512_set1_epi8((char)e->qmax)};
    const int mode = !e->multiplier ? 0 : is_signed ? 2 : 1;
#define QK_SC_CASE(k)                                                                                          \
    case k:                                                                                                    \
        if (mode == 0) qk_sc_dispatch(images, x, in_plane, flip, start, prepared, inside, taps, &o, out, gathered, sums, k, 0); \
        else if (mode == 1) qk_sc_dispatch(images, x, in_plane, flip, start, prepared, inside, taps, &o, out, gathered, sums, k, 1); \
        else qk_sc_dispatch(images, x, in_plane, flip, start, prepared, inside, taps, &o, out, gathered, sums, k, 2); \
        break;
    switch (kq) {
        QK_SC_CASE(1)
        QK_SC_CASE(2)
        QK_SC_CASE(3)
        QK_SC_CASE(4)
        QK_SC_CASE(5)
        QK_SC_CASE(6)
        QK_SC_CASE(7)
        QK_SC_CASE(8)
    }
#undef QK_SC_CASE
    return 1;
}
