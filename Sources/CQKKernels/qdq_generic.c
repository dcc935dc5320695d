/// Portable QuantizeLinear / DequantizeLinear and the min/max scan of DynamicQuantizeLinear (see CQKKernels.h).
#include "qdq_common.h"

void qk_quantize_run_generic(long n, const float *x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                             long width, void *y) {
    for (long i = 0; i < n; i++) qk_qdq_store1(y, i, width, qk_quantize1(x[i], scale, zero_point, qmin, qmax));
}

void qk_quantize_row_generic(long n, const float *x, const float *scale, const int32_t *zero_point, int32_t qmin,
                             int32_t qmax, long width, void *y) {
    for (long i = 0; i < n; i++) qk_qdq_store1(y, i, width, qk_quantize1(x[i], scale[i], zero_point[i], qmin, qmax));
}

void qk_dequantize_run_generic(long n, const void *x, qk_qdq_type type, float scale, int32_t zero_point, float *y) {
    for (long i = 0; i < n; i++) y[i] = (float)(qk_qdq_load1(x, i, type) - zero_point) * scale;
}

void qk_dequantize_row_generic(long n, const void *x, qk_qdq_type type, const float *scale,
                               const int32_t *zero_point, float *y) {
    for (long i = 0; i < n; i++) y[i] = (float)(qk_qdq_load1(x, i, type) - zero_point[i]) * scale[i];
}

int qk_finite_min_max_f32(long n, const float *x, float *lo, float *hi) {
    float a = __builtin_inff(), b = -__builtin_inff();
    int finite = 1;
    for (long i = 0; i < n; i++) {
        float v = x[i];
        // v − v is 0 for finite v and NaN for ±inf and NaN.
        finite &= (v - v) == 0;
        a = v < a ? v : a;
        b = v > b ? v : b;
    }
    *lo = a;
    *hi = b;
    return finite;
}
