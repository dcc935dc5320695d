#ifndef QK_I8GEMM_COMMON_H
#define QK_I8GEMM_COMMON_H
/// Scalar pieces shared by every ISA variant of the integer GEMM: the requantization of FixedPoint.swift written
/// again in C (bit for bit the same rounding) and the zero-point correction of one accumulator.
#include "CQKKernels.h"
#include <string.h>

/// round(a · b / 2³¹), ties toward +∞ = floor((a·b + 2³⁰) / 2³¹), saturating min · min (Swift's
/// saturatingRoundingDoublingHighMul: its sign-dependent nudge and truncating division reduce to this floor).
static inline int32_t qk_i8_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t p = (int64_t)a * (int64_t)b;
    return (int32_t)((p + (1LL << 30)) >> 31);
}

/// x / 2^e to nearest, ties away from zero (e in 0…31), as Swift's roundingDivideByPOT.
static inline int32_t qk_i8_rdpot(int32_t x, int32_t e) {
    int32_t mask = (int32_t)((1u << e) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/// round(x · m / 2³¹) for a 64-bit x, saturating to int32 (Swift's wideRoundingHighMul, used for shift < 0).
static inline int32_t qk_i8_wide_high_mul(int64_t x, int32_t m) {
    int32_t saturated = ((x < 0) != (m < 0)) ? INT32_MIN : INT32_MAX;
    __int128 product = (__int128)x * m;
    if (product > INT64_MAX || product < INT64_MIN) return saturated;
    __int128 nudged = product + (product >= 0 ? (1LL << 30) : 1 - (1LL << 30));
    if (nudged > INT64_MAX || nudged < INT64_MIN) return saturated;
    int64_t q = (int64_t)nudged / (1LL << 31);
    return q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : (int32_t)q;
}

/// clamp(zero_point + round(M · acc), qmin, qmax) with M = multiplier / 2³¹ · 2^−shift (FixedPoint.requantize).
static inline int32_t qk_i8_requantize1(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                                        int32_t qmin, int32_t qmax) {
    int32_t scaled;
    if (shift >= 0) {
        scaled = qk_i8_rdpot(qk_i8_srdhm(acc, multiplier), shift > 31 ? 31 : shift);
    } else {
        int32_t left = -shift > 31 ? 31 : -shift;
        scaled = qk_i8_wide_high_mul((int64_t)acc << left, multiplier);
    }
    int64_t shifted = (int64_t)scaled + zero_point;
    return (int32_t)(shifted < qmin ? qmin : shifted > qmax ? qmax : shifted);
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
        int32_t q = qk_i8_requantize1(v, e->multiplier[j], e->shift[j], e->zero_point, e->qmin, e->qmax);
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
            const uint8_t *ai = a + (q * (MR) + i) * 4;                                  \
            for (int j = 0; j < (NR); j++) {                                             \
                const int8_t *bj = b + (q * (NR) + j) * 4;                               \
                acc[i * (NR) + j] += ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3]; \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
    memcpy(tile, acc, sizeof acc);
#endif
