/// Quantized add/multiply in portable C, one element at a time (the loop is in qbinary_body.h).
#include "CQKKernels.h"
#include <string.h>

#define QB_W 1
#define QK_QB_NAME(base) base##_generic
typedef float V;
typedef int32_t VI;

static inline V vset1(float x) { return x; }
static inline VI vseti(int32_t x) { return x; }
static inline V vcvt(VI x) { return (float)x; }
/// Adding and subtracting 1.5 · 2²³ rounds |x| ≤ 2²² to an integer, half to even.
static inline VI vround(V x) { return (int32_t)((x + 0x1.8p23f) - 0x1.8p23f); }
static inline V vadd(V x, V y) { return x + y; }
static inline V vmul(V x, V y) { return x * y; }
static inline V vdiv(V x, V y) { return x / y; }
static inline V vmin(V x, V y) { return x < y ? x : y; }
static inline V vmax(V x, V y) { return x > y ? x : y; }
static inline VI vaddi(VI x, VI y) { return x + y; }
static inline VI vsubi(VI x, VI y) { return x - y; }
static inline V vzero_nan(V x) { return x != x ? 0.0f : x; }
static inline VI vload_u8(const uint8_t *p) { return *p; }
static inline VI vload_s8(const uint8_t *p) { return (int8_t)*p; }
static inline void vstore_bytes(uint8_t *p, VI v, int sign_out) {
    int32_t lo = sign_out ? -128 : 0, hi = sign_out ? 127 : 255;
    *p = (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

#include "qbinary_body.h"
