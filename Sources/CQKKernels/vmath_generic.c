/// Vector math in portable C99, one element at a time (the fallback for CPUs without AVX2 + FMA); the
/// algorithms are in vmath_body.h, so every variant computes the same formulas.
#include "CQKKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define QK_W 1
#define QK_NAME(base) base##_generic
typedef float V;
typedef int32_t VI;

static inline V vset1(float a) { return a; }
static inline V vload(const float *p) { return *p; }
static inline void vstore(float *p, V v) { *p = v; }
/// Never reached with one lane (the main loops cover every element).
static inline V vload_partial(const float *p, long k, float fill) { return k > 0 ? *p : fill; }
static inline void vstore_partial(float *p, long k, V v) { if (k > 0) *p = v; }
static inline V vadd(V a, V b) { return a + b; }
static inline V vsub(V a, V b) { return a - b; }
static inline V vmul(V a, V b) { return a * b; }
static inline V vdiv(V a, V b) { return a / b; }
static inline V vfma(V a, V b, V c) { return fmaf(a, b, c); }
static inline V vfnma(V a, V b, V c) { return fmaf(-a, b, c); }
/// max(a, b), b when either is NaN (as the x86 instruction).
static inline V vmax(V a, V b) { return a > b ? a : b; }
static inline V vabs(V a) { return fabsf(a); }
static inline V vcopysign(V r, V s) { return copysignf(r, s); }
static inline V vclamp(V x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
/// 0 where x < lo, else r (NaN x keeps r).
static inline V vzero_below(V r, V x, float lo) { return x < lo ? 0.0f : r; }
static inline V vround(V x) { return nearbyintf(x); }
/// NaN maps to 0 (a C cast of NaN is undefined); the NaN still reaches the result through the polynomial.
static inline VI vcvt(V x) { return x == x ? (int32_t)x : 0; }
static inline VI vsrai1(VI n) { return n >> 1; }
static inline VI visub(VI a, VI b) { return a - b; }
static inline V vexp2i(VI n) {
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
static inline float vhsum(V v) { return v; }
static inline float vhmax(V v) { return v; }

#include "vmath_body.h"
