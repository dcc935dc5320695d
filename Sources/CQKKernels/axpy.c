#include "CQKKernels.h"

void qk_saxpy(long n, float alpha, const float *restrict x, long incx, float *restrict y, long incy) {
    if (incx == 1 && incy == 1) {
        for (long i = 0; i < n; i++) y[i] += alpha * x[i];
    } else {
        for (long i = 0; i < n; i++) y[i * incy] += alpha * x[i * incx];
    }
}

float qk_sdot(long n, const float *restrict x, long incx, const float *restrict y, long incy) {
#pragma clang fp reassociate(on)
    float sum = 0;
    if (incx == 1 && incy == 1) {
        for (long i = 0; i < n; i++) sum += x[i] * y[i];
    } else {
        for (long i = 0; i < n; i++) sum += x[i * incx] * y[i * incy];
    }
    return sum;
}
