/// Quantized add/multiply with AVX-512F, 16 lanes (the loop is in qbinary_body.h).
#include "CQKKernels.h"
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

#define QB_W 16
#define QK_QB_NAME(base) base##_avx512
typedef __m512 V;
typedef __m512i VI;

static inline V vset1(float x) { return _mm512_set1_ps(x); }
static inline VI vseti(int32_t x) { return _mm512_set1_epi32(x); }
static inline V vcvt(VI x) { return _mm512_cvtepi32_ps(x); }
static inline VI vround(V x) { return _mm512_cvtps_epi32(x); }
static inline V vadd(V x, V y) { return _mm512_add_ps(x, y); }
static inline V vmul(V x, V y) { return _mm512_mul_ps(x, y); }
static inline V vdiv(V x, V y) { return _mm512_div_ps(x, y); }
static inline V vmin(V x, V y) { return _mm512_min_ps(x, y); }
static inline V vmax(V x, V y) { return _mm512_max_ps(x, y); }
static inline VI vaddi(VI x, VI y) { return _mm512_add_epi32(x, y); }
static inline VI vsubi(VI x, VI y) { return _mm512_sub_epi32(x, y); }
static inline V vzero_nan(V x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x); }
static inline VI vload_u8(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline VI vload_s8(const uint8_t *p) { return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)); }
/// vpmovsdb saturates to int8; vpmovusdb saturates unsigned, so negative lanes are raised to 0 first.
static inline void vstore_bytes(uint8_t *p, VI v, int sign_out) {
    __m128i bytes = sign_out ? _mm512_cvtsepi32_epi8(v) : _mm512_cvtusepi32_epi8(_mm512_max_epi32(v, _mm512_setzero_si512()));
    _mm_storeu_si128((__m128i *)p, bytes);
}

#include "qbinary_body.h"

#pragma clang attribute pop
