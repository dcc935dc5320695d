/// Quantized add/multiply with AVX2, 8 lanes (the loop is in qbinary_body.h).
#include "CQKKernels.h"
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)

#define QB_W 8
#define QK_QB_NAME(base) base##_avx2
typedef __m256 V;
typedef __m256i VI;

static inline V vset1(float x) { return _mm256_set1_ps(x); }
static inline VI vseti(int32_t x) { return _mm256_set1_epi32(x); }
static inline V vcvt(VI x) { return _mm256_cvtepi32_ps(x); }
static inline VI vround(V x) { return _mm256_cvtps_epi32(x); }
static inline V vadd(V x, V y) { return _mm256_add_ps(x, y); }
static inline V vmul(V x, V y) { return _mm256_mul_ps(x, y); }
static inline V vdiv(V x, V y) { return _mm256_div_ps(x, y); }
static inline V vmin(V x, V y) { return _mm256_min_ps(x, y); }
static inline V vmax(V x, V y) { return _mm256_max_ps(x, y); }
static inline VI vaddi(VI x, VI y) { return _mm256_add_epi32(x, y); }
static inline VI vsubi(VI x, VI y) { return _mm256_sub_epi32(x, y); }
static inline V vzero_nan(V x) { return _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q)); }
static inline VI vload_u8(const uint8_t *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
static inline VI vload_s8(const uint8_t *p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
/// int32 → int16 → int8 or uint8, each pack saturating.
static inline void vstore_bytes(uint8_t *p, VI v, int sign_out) {
    __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)p, sign_out ? _mm_packs_epi16(words, words) : _mm_packus_epi16(words, words));
}

#include "qbinary_body.h"

#pragma clang attribute pop
