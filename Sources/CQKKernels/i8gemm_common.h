#ifndef QK_I8GEMM_COMMON_H
#define QK_I8GEMM_COMMON_H
/// Scalar pieces shared by every ISA variant of the integer GEMM: the requantization of FixedPoint.swift written
/// again in C (bit for bit the same single rounding) and the zero-point correction of one accumulator.
#include "CQKKernels.h"
#include <string.h>

/// Four packed A bytes as one int32 (for a broadcast to every lane).
static inline int32_t qk_i8_load_quad(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// round(p / 2^r) to nearest, ties to even, for 1 ≤ r ≤ 62, |p| ≤ 2⁶², `rounding` = 2^(r−1) − 1:
/// floor((p + rounding + bit_r(p)) / 2^r) (FixedPoint.swift's roundingRightShift).
static inline int64_t qk_i8_round_shift(int64_t p, int64_t r, int64_t rounding) {
    return (p + rounding + ((p >> r) & 1)) >> r;
}

/// clamp(zero_point + round(acc · multiplier / 2^r), qmin, qmax), one rounding of the exact 64-bit product.
static inline int32_t qk_i8_requantize_r(int32_t acc, int64_t multiplier, int64_t r, int64_t rounding,
                                         int32_t zero_point, int32_t qmin, int32_t qmax) {
    int64_t q = qk_i8_round_shift((int64_t)acc * multiplier, r, rounding) + zero_point;
    return (int32_t)(q < qmin ? qmin : q > qmax ? qmax : q);
}

/// The right shift r = 31 + shift with shift clamped to −30…31 (FixedPoint.swift's requantizeRightShift).
static inline int64_t qk_i8_right_shift(int32_t shift) {
    return 31 + (shift < -30 ? -30 : shift > 31 ? 31 : shift);
}

/// clamp(zero_point + requantize(acc, multiplier, shift), qmin, qmax) (FixedPoint.requantize, bit for bit).
static inline int32_t qk_i8_requantize1(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                                        int32_t qmin, int32_t qmax) {
    int64_t r = qk_i8_right_shift(shift);
    return qk_i8_requantize_r(acc, multiplier, r, (1LL << (r - 1)) - 1, zero_point, qmin, qmax);
}

/// The zero-point corrected accumulator of qk_i8_epilogue (wrapping int32 arithmetic via uint32).
static inline int32_t qk_i8_correct1(int32_t acc, long j, int32_t row_sum, int32_t row_zero, const qk_i8_epilogue *e) {
    uint32_t v = (uint32_t)acc;
    if (e->bias) v += (uint32_t)e->bias[j];
    if (e->col_zero) v -= (uint32_t)e->col_zero[j] * (uint32_t)row_sum;
    if (e->col_adj) v -= (uint32_t)row_zero * (uint32_t)e->col_adj[j];
    return (int32_t)v;
}

/// Stores element (i, j) of a finished tile: int32 when there is no requantization, else one byte.
static inline void qk_i8_store1(const qk_i8_epilogue *e, void *out, long offset, int32_t v, long j) {
    if (!e->multiplier) {
        ((int32_t *)out)[offset] = v;
    } else {
        int32_t q = qk_i8_requantize_r(v, e->multiplier[j], e->shift[j], e->rounding[j], e->zero_point, e->qmin,
                                       e->qmax);
        ((uint8_t *)out)[offset] = (uint8_t)q;
    }
}

/// Scalar epilogue for one row segment [from, nr) of a tile row (used for tails and by the generic variant).
static inline void qk_i8_finish_row_scalar(const int32_t *row, long from, long nr, long j0, int32_t row_sum,
                                           int32_t row_zero, const qk_i8_epilogue *e, void *out, long row_offset,
                                           long col_stride) {
    for (long j = from; j < nr; j++) {
        int32_t v = qk_i8_correct1(row[j], j0 + j, row_sum, row_zero, e);
        qk_i8_store1(e, out, row_offset + j * col_stride, v, j0 + j);
    }
}

/// The generic micro-kernel body for an MR × NR tile (also the reference for the SIMD layouts).
#define QK_I8GEMM_GENERIC_BODY(MR, NR)                                                   \
    int32_t acc[(MR) * (NR)];                                                            \
    memset(acc, 0, sizeof acc);                                                          \
    for (long q = 0; q < kq; q++) {                                                      \
        for (int i = 0; i < (MR); i++) {                                                 \
            const uint8_t *ai = a + q * quad_step + i * row_step;                        \
            for (int j = 0; j < (NR); j++) {                                             \
                const int8_t *bj = b + (q * (NR) + j) * 4;                               \
                acc[i * (NR) + j] += ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3]; \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
    memcpy(tile, acc, sizeof acc);
#endif
