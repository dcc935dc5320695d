/// QuantizeLinear / DequantizeLinear with AVX-512 F/BW (blocks of 64 elements); bit-identical to qdq_generic.c.
#include "qdq_common.h"
#include <immintrin.h>

#define QK_ATTR __attribute__((target("avx512f,avx512bw")))
#define QK_INLINE static inline __attribute__((always_inline)) QK_ATTR
#define QK_NAME(base) base##_avx512
#define BLOCK 64

/// clamp(round_half_to_even(x / s), lo, hi) + z on 16 lanes (NaN quotients become 0, so they give z).
QK_INLINE __m512i qk_quantize16(const float *x, __m512 s, __m512 lo, __m512 hi, __m512i z) {
    __m512 r = _mm512_div_ps(_mm512_loadu_ps(x), s);
    r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), r);
    r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
    return _mm512_add_epi32(_mm512_cvt_roundps_epi32(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
}

/// Stores 16 in-range int32 values as their low `width` bytes.
QK_INLINE void qk_store16(void *y, __m512i q, long width) {
    if (width == 1) _mm_storeu_si128((__m128i *)y, _mm512_cvtepi32_epi8(q));
    else _mm256_storeu_si256((__m256i *)y, _mm512_cvtepi32_epi16(q));
}

QK_INLINE void qk_quantize_block_run(const float *x, float scale, int32_t z, int32_t qmin, int32_t qmax,
                                            long width, void *y) {
    __m512 s = _mm512_set1_ps(scale), lo = _mm512_set1_ps((float)(qmin - z)), hi = _mm512_set1_ps((float)(qmax - z));
    __m512i zv = _mm512_set1_epi32(z);
    for (int k = 0; k < 4; k++) qk_store16((uint8_t *)y + 16 * k * width, qk_quantize16(x + 16 * k, s, lo, hi, zv), width);
}

QK_INLINE void qk_quantize_block_row(const float *x, const float *scale, const int32_t *z, int32_t qmin,
                                            int32_t qmax, long width, void *y) {
    for (int k = 0; k < 4; k++) {
        __m512i zv = _mm512_loadu_si512(z + 16 * k);
        __m512 lo = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_set1_epi32(qmin), zv));
        __m512 hi = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_set1_epi32(qmax), zv));
        qk_store16((uint8_t *)y + 16 * k * width, qk_quantize16(x + 16 * k, _mm512_loadu_ps(scale + 16 * k), lo, hi, zv),
                   width);
    }
}

/// Elements p[0..<16] of `type` widened to int32.
QK_INLINE __m512i qk_load16(const void *p, qk_qdq_type type) {
    switch (type) {
    case qk_qdq_u8: return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
    case qk_qdq_s8: return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p));
    case qk_qdq_u16: return _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    case qk_qdq_s16: return _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)p));
    default: return _mm512_loadu_si512(p);
    }
}

/// (x − z) · s for one block; `per_element` reads s and z as arrays, else element 0 of each is broadcast.
QK_INLINE void qk_dequantize_block(const void *x, qk_qdq_type type, const float *scale, const int32_t *z,
                                          int per_element, float *y) {
    long size = qk_qdq_size(type);
    for (int k = 0; k < 4; k++) {
        __m512 s = per_element ? _mm512_loadu_ps(scale + 16 * k) : _mm512_set1_ps(*scale);
        __m512i zv = per_element ? _mm512_loadu_si512(z + 16 * k) : _mm512_set1_epi32(*z);
        __m512i v = _mm512_sub_epi32(qk_load16((const uint8_t *)x + 16 * k * size, type), zv);
        _mm512_storeu_ps(y + 16 * k, _mm512_mul_ps(_mm512_cvtepi32_ps(v), s));
    }
}

#include "qdq_body.h"
