/// The quantized add/multiply loop shared by every ISA variant (see qk_qbinary_* in CQKKernels.h). An including
/// file defines QB_W (lanes), QK_QB_NAME(base), the vector types V (fp32) and VI (int32) and these helpers:
/// vset1, vseti, vcvt (int32 → fp32), vcvtt (fp32 → int32, truncating; only exact integers reach it), vadd, vsub,
/// vmul, vdiv, vmin, vmax (neither ever sees a NaN), vsubi (int32), vzero_nan (NaN lanes → +0), vload_u8 /
/// vload_s8 (QB_W bytes widened to int32) and vstore_bytes (QB_W int32 values already in a byte range → bytes).
///
/// Every lane follows OpTable's TableBinaryOp + quantizeRounded operation for operation, in fp32:
///     x = fp32(a − a_zero) · a_scale,  y = fp32(b − b_zero) · b_scale,  t = (x ∘ y) / c_scale,
///     t = NaN ? 0 : clamp(t, ±2²²),  q = ((t + 1.5·2²³) − 1.5·2²³) + fp32(c_zero),  c = clamp(q, qmin, qmax)
/// The ±2²² clamp and the 1.5·2²³ add/subtract round half to even exactly; nothing is fused or reassociated.
#include "CQKKernels.h"
#include <string.h>

#define QB_INLINE inline __attribute__((always_inline))

typedef struct {
    VI a_zero, b_zero;
    VI c_zero;
    V a_scale, b_scale, c_scale, b_value;
} qb_consts;

static QB_INLINE V qb_dequantize(const uint8_t *p, int sign, VI zero, V scale) {
    return vmul(vcvt(vsubi(sign ? vload_s8(p) : vload_u8(p), zero)), scale);
}

/// QB_W elements: c[0..<QB_W] from a[0..<QB_W] and b[0..<QB_W] (or the constant b_value when b_scalar).
static QB_INLINE void qb_block(const qb_consts *k, const uint8_t *a, const uint8_t *b, uint8_t *c, int sign, int mul,
                               int b_scalar, int sign_out) {
    V x = qb_dequantize(a, sign, k->a_zero, k->a_scale);
    V y = b_scalar ? k->b_value : qb_dequantize(b, sign, k->b_zero, k->b_scale);
    V t = vdiv(mul ? vmul(x, y) : vadd(x, y), k->c_scale);
    t = vmin(vmax(vzero_nan(t), vset1(-0x1p22f)), vset1(0x1p22f));
    vstore_bytes(c, vaddi(vround(t), k->c_zero), sign_out);
}

static QB_INLINE void qb_run(const qb_consts *k, long n, const uint8_t *a, const uint8_t *b, uint8_t *c, int sign,
                             int mul, int b_scalar, int sign_out) {
    long i = 0;
    for (; i + 4 * QB_W <= n; i += 4 * QB_W) {
        for (int u = 0; u < 4; u++) {
            qb_block(k, a + i + u * QB_W, b_scalar ? b : b + i + u * QB_W, c + i + u * QB_W, sign, mul, b_scalar,
                     sign_out);
        }
    }
    for (; i + QB_W <= n; i += QB_W) qb_block(k, a + i, b_scalar ? b : b + i, c + i, sign, mul, b_scalar, sign_out);
    if (i < n) {
        uint8_t ta[QB_W] = {0}, tb[QB_W] = {0}, tc[QB_W];
        memcpy(ta, a + i, (size_t)(n - i));
        if (!b_scalar) memcpy(tb, b + i, (size_t)(n - i));
        qb_block(k, ta, tb, tc, sign, mul, b_scalar, sign_out);
        memcpy(c + i, tc, (size_t)(n - i));
    }
}

#define QB_CASE(s, m, sc, so) \
    case (s) | (m) << 1 | (sc) << 2 | (so) << 3: qb_run(&k, n, a, b, c, s, m, sc, so); return;

void QK_QB_NAME(qk_qbinary)(const qk_qbinary_params *p, long n, const void *a_bytes, const void *b_bytes,
                            long b_step, void *c_bytes) {
    const uint8_t *a = a_bytes, *b = b_bytes;
    uint8_t *c = c_bytes;
    const int sign = p->signed_inputs != 0, mul = p->multiply != 0, scalar = b_step == 0, sign_out = p->signed_output != 0;
    int32_t b_first = sign ? (int32_t)(int8_t)b[0] : (int32_t)b[0];
    qb_consts k = {
        .a_zero = vseti(p->a_zero), .b_zero = vseti(p->b_zero), .c_zero = vseti(p->c_zero),
        .a_scale = vset1(p->a_scale), .b_scale = vset1(p->b_scale), .c_scale = vset1(p->c_scale),
        .b_value = vset1((float)(b_first - p->b_zero) * p->b_scale),
    };
    switch (sign | mul << 1 | scalar << 2 | sign_out << 3) {
        QB_CASE(0, 0, 0, 0) QB_CASE(1, 0, 0, 0) QB_CASE(0, 1, 0, 0) QB_CASE(1, 1, 0, 0)
        QB_CASE(0, 0, 1, 0) QB_CASE(1, 0, 1, 0) QB_CASE(0, 1, 1, 0) QB_CASE(1, 1, 1, 0)
        QB_CASE(0, 0, 0, 1) QB_CASE(1, 0, 0, 1) QB_CASE(0, 1, 0, 1) QB_CASE(1, 1, 0, 1)
        QB_CASE(0, 0, 1, 1) QB_CASE(1, 0, 1, 1) QB_CASE(0, 1, 1, 1) QB_CASE(1, 1, 1, 1)
    }
}
#undef QB_CASE
