#include "i8gemm_common.h"

void qk_i8gemm_generic_4x8(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile) {
    QK_I8GEMM_GENERIC_BODY(4, 8)
}

void qk_i8gemm_generic_1x8(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile) {
    QK_I8GEMM_GENERIC_BODY(1, 8)
}

void qk_i8_finish_tile_generic(const int32_t *tile, long tile_ld, long mr, long nr, long j0,
                               const int32_t *row_sum, const int32_t *row_zero, long row_zero_stride,
                               const qk_i8_epilogue *e, void *out, long row_stride, long col_stride) {
    for (long i = 0; i < mr; i++) {
        int32_t zero = row_zero ? row_zero[i * row_zero_stride] : 0;
        qk_i8_finish_row_scalar(tile + i * tile_ld, 0, nr, j0, row_sum ? row_sum[i] : 0, zero, e, out, i * row_stride,
                                col_stride);
    }
}

void qk_i8_requantize_generic(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                              int32_t qmin, int32_t qmax, uint8_t *out) {
    for (long i = 0; i < n; i++) {
        out[i] = (uint8_t)qk_i8_requantize1(acc[i], multiplier, shift, zero_point, qmin, qmax);
    }
}

/// acc[o] += w · (x[o·stride] − x_zero) in wrapping uint32 arithmetic (contiguous x vectorizes).
#define QK_I8_AXPY_BODY                                                                                  \
    uint32_t *sum = (uint32_t *)acc;                                                                     \
    if (stride == 1) {                                                                                   \
        for (long o = 0; o < n; o++) sum[o] += (uint32_t)w * (uint32_t)((int32_t)x[o] - x_zero);        \
    } else {                                                                                             \
        for (long o = 0; o < n; o++) sum[o] += (uint32_t)w * (uint32_t)((int32_t)x[o * stride] - x_zero); \
    }

void qk_i8_axpy_u8(long n, int32_t w, const uint8_t *x, long stride, int32_t x_zero, int32_t *acc) {
    QK_I8_AXPY_BODY
}

void qk_i8_axpy_s8(long n, int32_t w, const int8_t *x, long stride, int32_t x_zero, int32_t *acc) {
    QK_I8_AXPY_BODY
}
