/// Vector math with AVX2 + FMA (8 lanes); the algorithms are in vmath_body.h.
#include "CQKKernels.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

#define QK_W 8
#define QK_NAME(base) base##_avx2
typedef __m256 V;
typedef __m256i VI;

static inline V vset1(float a) { return _mm256_set1_ps(a); }
static inline V vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void vstore(float *p, V v) { _mm256_storeu_ps(p, v); }
/// All-ones in lanes 0..<k.
static inline __m256i vfirst(long k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline V vload_partial(const float *p, long k, float fill) {
    __m256i m = vfirst(k);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
static inline void vstore_partial(float *p, long k, V v) { _mm256_maskstore_ps(p, vfirst(k), v); }
static inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
static inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline V vfnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
static inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
static inline V vabs(V a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
/// |r| with the sign of s (r must be non-negative).
static inline V vcopysign(V r, V s) {
    return _mm256_or_ps(r, _mm256_and_ps(s, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))));
}
/// min(max(x, lo), hi); max/min return their second operand when one is NaN, so NaN passes through.
static inline V vclamp(V x, float lo, float hi) {
    return _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), x));
}
/// 0 where x < lo, else r (NaN x keeps r).
static inline V vzero_below(V r, V x, float lo) {
    return _mm256_and_ps(r, _mm256_cmp_ps(x, _mm256_set1_ps(lo), _CMP_NLT_UQ));
}
static inline V vround(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline VI vcvt(V x) { return _mm256_cvtps_epi32(x); }
static inline VI vsrai1(VI n) { return _mm256_srai_epi32(n, 1); }
static inline VI visub(VI a, VI b) { return _mm256_sub_epi32(a, b); }
static inline V vexp2i(VI n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}
static inline float vhsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float vhmax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

#include "vmath_body.h"

#pragma clang attribute pop
