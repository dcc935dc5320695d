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

/// fp32 GEMM micro-kernels: T[i][j] = sum_{p < kc} A(i, p) * B[p*NR + j] with A(i, p) = a[i*row_stride +
/// p*depth_stride], then C[i*ldc + j] = alpha * T[i][j] (+ C[i*ldc + j] when `accumulate`) for i < mr, j < nr.
/// A is either a packed MR×kc micro-panel (row_stride 1, depth_stride MR) or MR rows of a row-major matrix read
/// in place (row_stride = its leading dimension, depth_stride 1); rows at or past mr are never read. B is a
/// packed kc×NR micro-panel (row p holds NR consecutive values, zero padded past nr). mr ≤ MR and nr ≤ NR give
/// the valid part of the tile at the edges of C.
///
/// | function                    | MR | NR | needs          |
/// |-----------------------------|----|----|----------------|
/// | qk_sgemm_micro_avx512_12x32 | 12 | 32 | avx512f        |
/// | qk_sgemm_micro_avx2_6x16    |  6 | 16 | avx2, fma      |
/// | qk_sgemm_micro_generic_4x16 |  4 | 16 | any x86-64/C99 |
#define QK_SGEMM_MICRO_DECLARE(name)                                                                   \
    void name(long kc, const float *a, long row_stride, long depth_stride, const float *b, float *c, long ldc, \
              long mr, long nr, float alpha, int accumulate);
QK_SGEMM_MICRO_DECLARE(qk_sgemm_micro_avx512_12x32)
QK_SGEMM_MICRO_DECLARE(qk_sgemm_micro_avx2_6x16)
QK_SGEMM_MICRO_DECLARE(qk_sgemm_micro_generic_4x16)

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
    void qk_vscale_f32_##isa(long n, float *y, float scale);                                        \
    /* y[i] = a[i·sa] ∘ b[i·sb], sa, sb ∈ {0, 1} (0 repeats element 0; n ≥ 1), ∘ = +, −, ·, / for op 0…3; */ \
    /* each result is the IEEE-rounded operation, the same in every variant. */                       \
    void qk_vbinary_f32_##isa(long op, long n, const float *a, long sa, const float *b, long sb, float *y);
QK_VMATH_DECLARE(avx512)
QK_VMATH_DECLARE(avx2)
QK_VMATH_DECLARE(generic)
/// Asks glibc to serve allocations up to 16 MiB from its heap and keep freed memory (no-op elsewhere): by default
/// every buffer over 128 KiB is mapped fresh from the OS, so each tensor of each run pays page faults.
void qk_keep_freed_memory_mapped(void);

#include <stdint.h>

/// Integer GEMM micro-kernels, u8 × s8 → int32: `tile[i*NR + j] = Σ_q Σ_{t<4} a[(q*MR + i)*4 + t] · b[(q*NR + j)*4 + t]`
/// for i < MR, j < NR, q < kq. A is a packed MR-row panel (for each quad of K: MR rows × 4 consecutive k, u8), B a
/// packed NR-column panel (for each quad of K: NR columns × 4 consecutive k, s8); both zero padded past K, so the
/// tile is always full. Sums wrap modulo 2³² (they cannot overflow for kq < 2¹⁵ anyway).
///
/// | function                     | MR | NR | needs                       | exact when                              |
/// |------------------------------|----|----|-----------------------------|-----------------------------------------|
/// | qk_i8gemm_vnni_8x32          |  8 | 32 | avx512f, avx512bw, vnni     | always (vpdpbusd)                       |
/// | qk_i8gemm_vnni_1x32          |  1 | 32 | avx512f, avx512bw, vnni     | always                                  |
/// | qk_i8gemm_avx2_4x16          |  4 | 16 | avx2                        | |b[2p]| + |b[2p+1]| ≤ 128 (vpmaddubsw)  |
/// | qk_i8gemm_avx2_1x16          |  1 | 16 | avx2                        | same                                    |
/// | qk_i8gemm_avx2wide_4x16      |  4 | 16 | avx2                        | always (16-bit vpmaddwd)                |
/// | qk_i8gemm_avx2wide_1x16      |  1 | 16 | avx2                        | always                                  |
/// | qk_i8gemm_generic_4x8        |  4 |  8 | any C99                     | always                                  |
/// | qk_i8gemm_generic_1x8        |  1 |  8 | any C99                     | always                                  |
#define QK_I8GEMM_DECLARE(name) \
    void name(long kq, const uint8_t *a, const int8_t *b, int32_t *tile);
QK_I8GEMM_DECLARE(qk_i8gemm_vnni_8x32)
QK_I8GEMM_DECLARE(qk_i8gemm_vnni_1x32)
QK_I8GEMM_DECLARE(qk_i8gemm_avx2_4x16)
QK_I8GEMM_DECLARE(qk_i8gemm_avx2_1x16)
QK_I8GEMM_DECLARE(qk_i8gemm_avx2wide_4x16)
QK_I8GEMM_DECLARE(qk_i8gemm_avx2wide_1x16)
QK_I8GEMM_DECLARE(qk_i8gemm_generic_4x8)
QK_I8GEMM_DECLARE(qk_i8gemm_generic_1x8)

/// Per-column constants of the integer GEMM epilogue (all arrays indexed by the global column j; NULL = all 0):
///
///     v[i, j] = tile[i, j] + bias[j] − col_zero[j] · row_sum[i] − row_zero[i] · col_adj[j]      (int32, wrapping)
///
/// which turns Σ a·b into Σ (a − row_zero)(b − col_zero) when row_sum[i] = Σ_k a[i, k] and
/// col_adj[j] = Σ_k b[k, j] − K · col_zero[j]. With `multiplier` NULL, v is stored as int32; otherwise
/// q = clamp(zero_point + requantize(v, multiplier[j], shift[j]), qmin, qmax) (FixedPoint.swift's rounding,
/// bit for bit) is stored as one byte (u8 or s8 by the clamp range, which must lie in −128…255).
typedef struct {
    const int32_t *bias;
    const int32_t *col_zero;
    const int32_t *col_adj;
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t zero_point;
    int32_t qmin;
    int32_t qmax;
} qk_i8_epilogue;

/// Applies the epilogue to an mr × nr block of a tile (row stride `tile_ld`) whose first column is global column j0,
/// writing element (i, j) to out + i·row_stride + j·col_stride (elements of int32 or bytes). `row_sum` and
/// `row_zero` point at the tile's first row (row_zero may be NULL = 0; row_zero_stride 0 = one value for all rows).
/// `_avx512` needs avx512f/bw, `_avx2` needs avx2; all give identical results.
#define QK_I8_FINISH_DECLARE(isa) \
    void qk_i8_finish_tile_##isa(const int32_t *tile, long tile_ld, long mr, long nr, long j0,   \
                                 const int32_t *row_sum, const int32_t *row_zero, long row_zero_stride, \
                                 const qk_i8_epilogue *e, void *out, long row_stride, long col_stride);
QK_I8_FINISH_DECLARE(avx512)
QK_I8_FINISH_DECLARE(avx2)
QK_I8_FINISH_DECLARE(generic)

/// q[i] = clamp(zero_point + requantize(acc[i], multiplier, shift), qmin, qmax) stored as bytes, for i < n
/// (one multiplier for the whole run; see qk_i8_epilogue). Identical results across ISAs.
void qk_i8_requantize_avx512(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                             int32_t qmin, int32_t qmax, uint8_t *out);
void qk_i8_requantize_avx2(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                           int32_t qmin, int32_t qmax, uint8_t *out);
void qk_i8_requantize_generic(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                              int32_t qmin, int32_t qmax, uint8_t *out);

/// Packs the transpose of a k × m byte matrix (row stride ld) into GEMM row panels: panel r holds, for each quad
/// q of k, rows i = r·mr … r·mr + mr − 1 of the transpose as [src[4q][i], src[4q+1][i], src[4q+2][i],
/// src[4q+3][i]] (zero padded past k and m). mr is 1, 4 or 8.
void qk_i8_pack_row_panels(const uint8_t *src, long ld, long k, long m, long mr, uint8_t *dst);
/// im2col of one image group (3-D convolution geometry g = input d,h,w; kernel d,h,w; output d,h,w; strides;
/// dilations; pads begin, 18 values): row (c, td, th, tw) of col (row stride ld) holds, for output pixel o,
/// x[c, o·s − p + t·d] ^ flip, or `padding` where that lies outside the input.
void qk_i8_im2col(const uint8_t *x, long channels, const long *g, uint8_t padding, uint8_t flip, uint8_t *col,
                  long ld);
/// sums[p] = Σ_r src[r·ld + p] for p < m (column sums of a k × m byte matrix).
void qk_i8_column_sums(const uint8_t *src, long ld, long k, long m, int32_t *sums);

/// Depthwise helper: acc[o] += w · (x[o·stride] − x_zero) for o < n (wrapping), x u8. Auto-vectorized C.
void qk_i8_axpy_u8(long n, int32_t w, const uint8_t *x, long stride, int32_t x_zero, int32_t *acc);
/// The same for s8 x.
void qk_i8_axpy_s8(long n, int32_t w, const int8_t *x, long stride, int32_t x_zero, int32_t *acc);

#endif
