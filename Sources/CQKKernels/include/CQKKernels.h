#ifndef CQKKERNELS_H
#define CQKKERNELS_H
/// Hot inner loops in C, one function per ISA variant, chosen at run time (see cpu_features).
/// Everything around the loops (packing, tiling, threading) stays in Swift.

/// CPU features detected once at run time.
typedef struct {
    int avx2;
    int fma;
    int avx512f;
    int avx512bw;
    int avx512vnni;
    int avxvnni;
} qk_cpu_features;

/// The features of the CPU this process runs on.
qk_cpu_features qk_detect_cpu_features(void);

/// fp32 GEMM micro-kernels: C[i*ldc + j] += alpha * sum_p A[p*MR + i] * B[p*NR + j]
/// for i < mr, j < nr, where A is a packed MR×kc micro-panel (column p holds MR consecutive values) and
/// B is a packed kc×NR micro-panel (row p holds NR consecutive values). mr ≤ MR and nr ≤ NR give the valid
/// part of the tile at the edges of C; the packed panels are always full (zero padded).
///
/// | function                    | MR | NR | needs          |
/// |-----------------------------|----|----|----------------|
/// | qk_sgemm_micro_avx512_12x32 | 12 | 32 | avx512f        |
/// | qk_sgemm_micro_avx2_6x16    |  6 | 16 | avx2, fma      |
/// | qk_sgemm_micro_generic_4x16 |  4 | 16 | any x86-64/C99 |
void qk_sgemm_micro_avx512_12x32(long kc, const float *a, const float *b, float *c, long ldc,
                                 long mr, long nr, float alpha);
void qk_sgemm_micro_avx2_6x16(long kc, const float *a, const float *b, float *c, long ldc,
                              long mr, long nr, float alpha);
void qk_sgemm_micro_generic_4x16(long kc, const float *a, const float *b, float *c, long ldc,
                                 long mr, long nr, float alpha);

/// y[i·incy] += alpha · x[i·incx] for i < n (x and y must not overlap); the unit-stride case vectorizes.
void qk_saxpy(long n, float alpha, const float *x, long incx, float *y, long incy);
/// Σ x[i·incx] · y[i·incy] for i < n, summed in an unspecified order (the unit-stride case vectorizes).
float qk_sdot(long n, const float *x, long incx, const float *y, long incy);
/// fp32 vector math, one function per ISA suffix: `_avx512` (needs avx512f), `_avx2` (needs avx2 and fma) and
/// `_generic` (portable C). `y[i] = f(x[i])` for i < n; x and y may be the same array.
/// exp: max relative error 2e-7 for results ≥ FLT_MIN; smaller results are flushed to 0, overflow gives +inf.
/// erf, tanh, sigmoid: max absolute error 1e-6; gelu: `x·(1 + erf(x/√2))/2`. NaN propagates in all.
#define QK_VMATH_DECLARE(isa)                                                                       \
    void qk_vexp_f32_##isa(long n, const float *x, float *y);                                       \
    void qk_verf_f32_##isa(long n, const float *x, float *y);                                       \
    void qk_vtanh_f32_##isa(long n, const float *x, float *y);                                      \
    void qk_vsigmoid_f32_##isa(long n, const float *x, float *y);                                   \
    void qk_vgelu_f32_##isa(long n, const float *x, float *y);                                      \
    /* max_i x[i] (−inf for n = 0; a NaN element may or may not be returned). */                     \
    float qk_vmax_f32_##isa(long n, const float *x);                                                \
    /* y[i] = exp(x[i] − shift); returns Σ y[i] (summed in an unspecified order). */                 \
    float qk_vexp_shifted_sum_f32_##isa(long n, const float *x, float shift, float *y);             \
    /* y[i] *= scale. */                                                                             \
    void qk_vscale_f32_##isa(long n, float *y, float scale);
QK_VMATH_DECLARE(avx512)
QK_VMATH_DECLARE(avx2)
QK_VMATH_DECLARE(generic)
/// Asks glibc to serve allocations up to 16 MiB from its heap and keep freed memory (no-op elsewhere): by default
/// every buffer over 128 KiB is mapped fresh from the OS, so each tensor of each run pays page faults.
void qk_keep_freed_memory_mapped(void);

#endif
