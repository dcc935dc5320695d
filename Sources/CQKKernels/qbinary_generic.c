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
static inline VI vcvtt(V x) { return (int32_t)x; }
static inline V vadd(V x, V y) { return x + y; }
static inline V vsub(V x, V y) { return x - y; }
static inline V vmul(V x, V y) { return x * y; }
static inline V vdiv(V x, V y) { return x / y; }
static inline V vmin(V x, V y) { return x < y ? x : y; }
static inline V vmax(V x, V y) { return x > y ? x : y; }
static inline VI vsubi(VI x, VI y) { return x - y; }
static inline V vzero_nan(V x) { return x != x ? 0.0f : x; }
static inline VI vload_u8(const uint8_t *p) { return *p; }
static inline VI vload_s8(const uint8_t *p) { return (int8_t)*p; }
static inline void vstore_bytes(uint8_t *p, VI v, int sign_out) { (void)sign_out; *p = (uint8_t)v; }

#include "qbinary_body.h"
