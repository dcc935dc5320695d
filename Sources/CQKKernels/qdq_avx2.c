/// QuantizeLinear / DequantizeLinear with AVX2 (blocks of 32 elements); bit-identical to qdq_generic.c.
#include "qdq_common.h"
#include <immintrin.h>

#define QK_ATTR __attribute__((target("avx2")))
#define QK_INLINE static inline __attribute__((always_inline)) QK_ATTR
#define QK_NAME(base) base##_avx2
#define BLOCK 32

/// clamp(round_half_to_even(x / s), lo, hi) + z on 8 lanes (NaN quotients become 0, so they give z).
QK_INLINE __m256i qk_quantize8(const float *x, __m256 s, __m256 lo, __m256 hi, __m256i z) {
    __m256 r = _mm256_div_ps(_mm256_loadu_ps(x), s);
    r = _mm256_and_ps(r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
    r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);
    r = _mm256_round_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_add_epi32(_mm256_cvttps_epi32(r), z);
}

/// Stores 32 in-range int32 values as `width`-byte integers (the saturating packs never saturate here; `sgn`
/// picks the pack that is exact for the range).
QK_INLINE void qk_store32(void *y, const __m256i q[4], long width, int sgn) {
    if (width == 1) {
        __m256i a = _mm256_packs_epi32(q[0], q[1]), b = _mm256_packs_epi32(q[2], q[3]);
        __m256i c = sgn ? _mm256_packs_epi16(a, b) : _mm256_packus_epi16(a, b);
        c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y, c);
    } else {
        for (int h = 0; h < 2; h++) {
            __m256i c = sgn ? _mm256_packs_epi32(q[2 * h], q[2 * h + 1]) : _mm256_packus_epi32(q[2 * h], q[2 * h + 1]);
            _mm256_storeu_si256((__m256i *)y + h, _mm256_permute4x64_epi64(c, 0xD8));
        }
    }
}

QK_INLINE void qk_quantize_block_run(const float *x, float scale, int32_t z, int32_t qmin, int32_t qmax,
                                          long width, void *y) {
    __m256 s = _mm256_set1_ps(scale), lo = _mm256_set1_ps((float)(qmin - z)), hi = _mm256_set1_ps((float)(qmax - z));
    __m256i zv = _mm256_set1_epi32(z), q[4];
    for (int k = 0; k < 4; k++) q[k] = qk_quantize8(x + 8 * k, s, lo, hi, zv);
    qk_store32(y, q, width, qmin < 0);
}

QK_INLINE void qk_quantize_block_row(const float *x, const float *scale, const int32_t *z, int32_t qmin,
                                          int32_t qmax, long width, void *y) {
    __m256i q[4];
    for (int k = 0; k < 4; k++) {
        __m256i zv = _mm256_loadu_si256((const __m256i *)(z + 8 * k));
        __m256 lo = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_set1_epi32(qmin), zv));
        __m256 hi = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_set1_epi32(qmax), zv));
        q[k] = qk_quantize8(x + 8 * k, _mm256_loadu_ps(scale + 8 * k), lo, hi, zv);
    }
    qk_store32(y, q, width, qmin < 0);
}

/// Elements p[0..<8] of `type` widened to int32.
QK_INLINE __m256i qk_load8(const void *p, qk_qdq_type type) {
    switch (type) {
    case qk_qdq_u8: return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    case qk_qdq_s8: return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    case qk_qdq_u16: return _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    case qk_qdq_s16: return _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p));
    default: return _mm256_loadu_si256((const __m256i *)p);
    }
}

/// (x − z) · s for one block; `per_element` reads s and z as arrays, else lane 0 of each is broadcast.
QK_INLINE void qk_dequantize_block(const void *x, qk_qdq_type type, const float *scale, const int32_t *z,
                                        int per_element, float *y) {
    long size = qk_qdq_size(type);
    for (int k = 0; k < 4; k++) {
        __m256 s = per_element ? _mm256_loadu_ps(scale + 8 * k) : _mm256_set1_ps(*scale);
        __m256i zv = per_element ? _mm256_loadu_si256((const __m256i *)(z + 8 * k)) : _mm256_set1_epi32(*z);
        __m256i v = _mm256_sub_epi32(qk_load8((const uint8_t *)x + 8 * k * size, type), zv);
        _mm256_storeu_ps(y + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(v), s));
    }
}

#include "qdq_body.h"
