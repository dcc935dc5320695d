/// Vector math with AVX-512F (16 lanes); the algorithms are in vmath_body.h.
#include "CQKKernels.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

#define QK_W 16
#define QK_NAME(base) base##_avx512
typedef __m512 V;
typedef __m512i VI;

static inline V vset1(float a) { return _mm512_set1_ps(a); }
static inline V vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void vstore(float *p, V v) { _mm512_storeu_ps(p, v); }
static inline __mmask16 vfirst(long k) { return (__mmask16)((1u << k) - 1u); }
static inline V vload_partial(const float *p, long k, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), vfirst(k), p);
}
static inline void vstore_partial(float *p, long k, V v) { _mm512_mask_storeu_ps(p, vfirst(k), v); }
static inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
static inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline V vfnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
static inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
static inline V vabs(V a) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
}
/// |r| with the sign of s (r must be non-negative).
static inline V vcopysign(V r, V s) {
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}
/// min(max(x, lo), hi); max/min return their second operand when one is NaN, so NaN passes through.
static inline V vclamp(V x, float lo, float hi) {
    return _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), x));
}
/// 0 where x < lo, else r (NaN x keeps r).
static inline V vzero_below(V r, V x, float lo) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(lo), _CMP_NLT_UQ), r);
}
static inline V vround(V x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline VI vcvt(V x) { return _mm512_cvtps_epi32(x); }
static inline VI vsrai1(VI n) { return _mm512_srai_epi32(n, 1); }
static inline VI visub(VI a, VI b) { return _mm512_sub_epi32(a, b); }
static inline V vexp2i(VI n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
}
static inline float vhsum(V v) { return _mm512_reduce_add_ps(v); }
static inline float vhmax(V v) { return _mm512_reduce_max_ps(v); }

#include "vmath_body.h"

#pragma clang attribute pop
