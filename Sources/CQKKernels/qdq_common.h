#ifndef QK_QDQ_COMMON_H
#define QK_QDQ_COMMON_H
/// Scalar QuantizeLinear / DequantizeLinear shared by every ISA variant (the portable kernels, and the reference the
/// SIMD loops reproduce bit for bit), plus the zero-padded tail helper of the SIMD files.
#include "CQKKernels.h"
#include <string.h>

/// clamp(round_half_to_even(x / scale) + z, qmin, qmax); z for NaN. Clamping the quotient to the integers
/// [qmin − z, qmax − z] before rounding gives the same result as rounding first.
static inline int32_t qk_quantize1(float x, float scale, int32_t z, int32_t qmin, int32_t qmax) {
    float r = x / scale;
    if (r != r) return z;
    float lo = (float)(qmin - z), hi = (float)(qmax - z);
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    return (int32_t)__builtin_roundevenf(r) + z;
}

/// Stores q (already inside the output type's range) as the low `width` bytes of element i of y.
static inline void qk_qdq_store1(void *y, long i, long width, int32_t q) {
    if (width == 1) ((uint8_t *)y)[i] = (uint8_t)q;
    else ((uint16_t *)y)[i] = (uint16_t)q;
}

/// Element i of x widened to int32.
static inline int32_t qk_qdq_load1(const void *x, long i, qk_qdq_type type) {
    switch (type) {
    case qk_qdq_u8: return ((const uint8_t *)x)[i];
    case qk_qdq_s8: return ((const int8_t *)x)[i];
    case qk_qdq_u16: return ((const uint16_t *)x)[i];
    case qk_qdq_s16: return ((const int16_t *)x)[i];
    default: return ((const int32_t *)x)[i];
    }
}

/// Bytes per element of `type`.
static inline long qk_qdq_size(qk_qdq_type type) {
    switch (type) {
    case qk_qdq_u8: case qk_qdq_s8: return 1;
    case qk_qdq_u16: case qk_qdq_s16: return 2;
    default: return 4;
    }
}

/// Widest SIMD block (elements) of any variant.
#define QK_QDQ_MAX_BLOCK 64

/// Zero-padded copies of the last `rem` (< one block) elements of a run, so a SIMD variant can process them as one
/// whole block and copy the first `rem` results back: x and xq padded with 0, scale with 1, zero with 0 (the padding
/// lanes stay finite).
typedef struct {
    float x[QK_QDQ_MAX_BLOCK];
    float scale[QK_QDQ_MAX_BLOCK];
    int32_t zero[QK_QDQ_MAX_BLOCK];
    uint8_t xq[QK_QDQ_MAX_BLOCK * 4];
    uint16_t q[QK_QDQ_MAX_BLOCK];
    float y[QK_QDQ_MAX_BLOCK];
} qk_qdq_tail;

/// Fills `t` from the given arrays (NULL: padding only); xq holds rem elements of `xq_size` bytes.
static inline void qk_qdq_tail_fill(qk_qdq_tail *t, long rem, const float *x, const void *xq, long xq_size,
                                    const float *scale, const int32_t *zero) {
    memset(t, 0, sizeof *t);
    for (long i = 0; i < QK_QDQ_MAX_BLOCK; i++) t->scale[i] = 1;
    if (x) memcpy(t->x, x, (size_t)rem * sizeof(float));
    if (xq) memcpy(t->xq, xq, (size_t)(rem * xq_size));
    if (scale) memcpy(t->scale, scale, (size_t)rem * sizeof(float));
    if (zero) memcpy(t->zero, zero, (size_t)rem * sizeof(int32_t));
}

#endif
