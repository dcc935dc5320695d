#ifndef CQKKERNELS_H
#define CQKKERNELS_H
#include "qk_thread_pool.h"
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
/// C[i·ldc + j] = row[j] for i < rows, j < columns: a GEMM tile set to its bias row before the micro-kernel
/// accumulates into it. `_avx512` needs avx512f.
void qk_sgemm_fill_rows_avx512(float *c, long ldc, long rows, const float *row, long columns);
void qk_sgemm_fill_rows_generic(float *c, long ldc, long rows, const float *row, long columns);

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
    /* y[i] = (x·s)·(erf(x/d) + o), or (x·(erf(x/d) + o))·s when scale_last, x = x[i], rounded step by step. */ \
    void qk_vgelu_chain_f32_##isa(long n, const float *x, float d, float o, float s, long scale_last, float *y); \
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

/// Integer GEMM micro-kernels, u8 × s8 → int32: `tile[i*NR + j] = Σ_q Σ_{t<4} A(i, q)[t] · b[(q*NR + j)*4 + t]`
/// for i < MR, j < NR, q < kq, where A(i, q) = a + q·quad_step + i·row_step are row i's four bytes of quad q:
/// a packed MR-row panel has row_step 4, quad_step 4·MR; a row-major u8 matrix read in place has row_step = its
/// row stride, quad_step 4. B is a packed NR-column panel (for each quad of K: NR columns × 4 consecutive k, s8),
/// zero padded past K, so A bytes past K (padding or the next row's) add nothing. Sums wrap modulo 2³² (they
/// cannot overflow for kq < 2¹⁵ anyway).
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
    void name(long kq, const uint8_t *a, long row_step, long quad_step, const int8_t *b, int32_t *tile);
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
/// q = clamp(zero_point + round(v · multiplier[j] / 2^shift[j]), qmin, qmax) — one rounding of the exact 64-bit
/// product, ties to even, shift[j] in 1…62 and rounding[j] = 2^(shift[j] − 1) − 1 (FixedPoint.swift's
/// requantize, bit for bit) — is stored as one byte (u8 or s8 by the clamp range, which must lie in −128…255).
typedef struct {
    const int32_t *bias;
    const int32_t *col_zero;
    const int32_t *col_adj;
    const int64_t *multiplier;
    const int64_t *shift;
    const int64_t *rounding;
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

/// q[i] = clamp(zero_point + requantize(acc[i], multiplier, shift), qmin, qmax) stored as bytes, for i < n, with
/// FixedPoint.swift's requantize (right shift 31 + shift, shift clamped to −30…31)
/// (one multiplier for the whole run; see qk_i8_epilogue). Identical results across ISAs.
void qk_i8_requantize_avx512(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                             int32_t qmin, int32_t qmax, uint8_t *out);
void qk_i8_requantize_avx2(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                           int32_t qmin, int32_t qmax, uint8_t *out);
void qk_i8_requantize_generic(long n, const int32_t *acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                              int32_t qmin, int32_t qmax, uint8_t *out);

/// Packs rows [0, m) of a row-major byte matrix (row stride lda, k columns; each byte XORed with `flip`, 0x80 turns
/// s8 into u8 + 128) into MR-row panels of quads (the micro-kernels' A layout, zero padded past m and k), and, when
/// row_sums is not NULL, row_sums[i] = Σ_k of the stored bytes.
void qk_i8_pack_rows(const uint8_t *src, long lda, long k, long m, long mr, uint8_t flip, uint8_t *dst,
                     int32_t *row_sums);

/// Packs B (k × n, element (p, j) at src[p·ld_k + j·ld_n], each byte XORed with `flip`: 0x80 stores u8 as s8 − 128)
/// into NR-column panels of quads (the micro-kernels' B layout, zero padded past k and n), and col_sums[j] = Σ_p of
/// the stored s8 values for j < n.
void qk_i8_pack_columns(const uint8_t *src, long ld_k, long ld_n, long k, long n, long nr, uint8_t flip, int8_t *dst,
                        int32_t *col_sums);

/// 1 when every adjacent pair (v[2i], v[2i+1]) has |v₀| + |v₁| ≤ 128 (vpmaddubsw cannot saturate), else 0.
int qk_i8_pairs_fit_int16(const int8_t *v, long count);

/// sums[i] = Σ_{p<k} src[i·lda + p] for i < m (u8; the row sums of a matrix the kernels read in place).
void qk_i8_row_sums(const uint8_t *src, long lda, long k, long m, int32_t *sums);

/// Depthwise helper: acc[o] += w · (x[o·stride] − x_zero) for o < n (wrapping), x u8. Auto-vectorized C.
void qk_i8_axpy_u8(long n, int32_t w, const uint8_t *x, long stride, int32_t x_zero, int32_t *acc);
/// The same for s8 x.
void qk_i8_axpy_s8(long n, int32_t w, const int8_t *x, long stride, int32_t x_zero, int32_t *acc);

/// QuantizeLinear / DequantizeLinear runs (qdq_*.c), one function per ISA suffix: `_avx512` (needs avx512f and
/// avx512bw), `_avx2` (needs avx2) and `_generic` (portable C); every variant gives the same bits.
///
/// quantize: y[i] = clamp(round_half_to_even(x[i] / s) + z, qmin, qmax), and z where x[i] / s is NaN, with the
/// fp32 quotient (a true division, never a reciprocal). [qmin, qmax] (containing z) must lie in the range of the
/// output type; `width` is its size in bytes (1 or 2) and y[i] is stored as the low `width` bytes of the int32.
/// dequantize: y[i] = (float)(x[i] − z) · s in fp32, x[i] of `type` (x − z must not overflow int32).
/// `_run` uses one s and z for all i; `_row` uses s = scale[i], z = zero_point[i].
typedef enum { qk_qdq_u8, qk_qdq_s8, qk_qdq_u16, qk_qdq_s16, qk_qdq_s32 } qk_qdq_type;
#define QK_QDQ_DECLARE(isa)                                                                                    \
    void qk_quantize_run_##isa(long n, const float *x, float scale, int32_t zero_point, int32_t qmin,           \
                               int32_t qmax, long width, void *y);                                              \
    void qk_quantize_row_##isa(long n, const float *x, const float *scale, const int32_t *zero_point,           \
                               int32_t qmin, int32_t qmax, long width, void *y);                                \
    void qk_dequantize_run_##isa(long n, const void *x, qk_qdq_type type, float scale, int32_t zero_point,     \
                                 float *y);                                                                     \
    void qk_dequantize_row_##isa(long n, const void *x, qk_qdq_type type, const float *scale,                  \
                                 const int32_t *zero_point, float *y);
QK_QDQ_DECLARE(avx512)
QK_QDQ_DECLARE(avx2)
QK_QDQ_DECLARE(generic)
/// min and max of x[0..<n] into *lo and *hi (+inf and −inf for n = 0); returns 0 when some x[i] is NaN or ±inf
/// (lo and hi are then meaningless), else 1.
int qk_finite_min_max_f32(long n, const float *x, float *lo, float *hi);
/// Quantization of a QLinearAdd / QLinearMul (per-tensor scales and zero points, 8-bit operands).
typedef struct {
    float a_scale, b_scale, c_scale;
    int32_t a_zero, b_zero, c_zero;
    int32_t multiply;      /* 1: c = a · b, 0: c = a + b */
    int32_t signed_inputs; /* 1: a and b are int8, 0: uint8 */
    int32_t signed_output; /* 1: c is int8 (−128…127), 0: uint8 (0…255) */
} qk_qbinary_params;

/// Quantized add/multiply of n elements, c[i] = requantize(dequantize(a[i]) ∘ dequantize(b[i · b_step])) with
/// b_step 1 (same length) or 0 (b is one element), in fp32 exactly as the runtime's scalar loop: x = (a − a_zero) ·
/// a_scale, y likewise, t = (x ∘ y) / c_scale, round half to even, + c_zero, saturate (NaN → c_zero). `_avx512`
/// needs avx512f, `_avx2` needs avx2, `_generic` nothing; all give identical bytes.
#define QK_QBINARY_DECLARE(isa) \
    void qk_qbinary_##isa(const qk_qbinary_params *p, long n, const void *a, const void *b, long b_step, void *c);
QK_QBINARY_DECLARE(avx512)
QK_QBINARY_DECLARE(avx2)
QK_QBINARY_DECLARE(generic)
/// Int8 Conv rows packed from a channels-last copy (i8conv_rows.c). qk_i8conv_pad_nhwc copies one image (channels
/// planes of dims[0..2] = D×H×W, u8 bytes, each ^ flip) into dst, channels last, inside a padded extent
/// dims[3..5] = Dp×Hp×Wp at offset dims[6..8] (pads begin); every other byte of dst is `padding`. Input positions past
/// the padded extent are dropped.
void qk_i8conv_pad_nhwc(const uint8_t *x, long channels, const long *dims, uint8_t padding, uint8_t flip,
                        uint8_t *dst);
/// sums[p] = Σ_{c < channels} nhwc[p·stride + c] for p < positions.
void qk_i8conv_position_sums(const uint8_t *nhwc, long positions, long stride, long channels, int32_t *sums);
/// Packs rows first_row … first_row + pixels − 1 of the convolution's pixel × (tap, channel) matrix into GEMM row
/// panels (the layout of qk_i8_pack_rows): row first_row + p, depth t·channels + c holds
/// image[(pixel_base[p] + tap_offset[t])·stride + c]; row_sums[first_row + p] = Σ_t position_sums[pixel_base[p] +
/// tap_offset[t]] (not written when position_sums is NULL). Depth past taps·channels is zero up to whole quads
/// (quads = ⌈taps·channels / 4⌉); every quad of the rows packed is written.
void qk_i8conv_pack_rows(const uint8_t *image, long stride, long channels, const int32_t *position_sums,
                         const int32_t *pixel_base, long pixels, const int32_t *tap_offset, long taps, long first_row,
                         long mr, long quads, uint8_t *dst, int32_t *row_sums);
/// dst[c·rows + r] = src[r·cols + c]: the transpose of a rows × cols byte matrix (16 × 16 SSE2 blocks where
/// available).
void qk_i8conv_transpose(const uint8_t *src, long rows, long cols, uint8_t *dst);

/// Max pooling over windows inside the input (pool_max.c, pool_max2x2_avx2.c; no padding, no dilation). Every
/// fold is best = x >= best ? x : best in window order from the first tap (for floats: a NaN after the first tap is
/// skipped, and of equal values (+0, −0) the later tap wins); integer max does not depend on the order.
/// 2×2 stride 2 on `planes` planes in_h × in_w (2·out_h ≤ in_h, 2·out_w ≤ in_w): y[(p·out_h + i)·out_w + j] = max of
/// x at rows 2i, 2i + 1 and columns 2j, 2j + 1 of plane p, taps in the order top-left, top-right, bottom-left,
/// bottom-right. `_generic` runs anywhere, `_avx2` needs AVX2.
#define QK_MAXPOOL2X2_DECLARE(suffix)                                                                               \
    void qk_maxpool2x2_u8_##suffix(const uint8_t *x, long planes, long in_h, long in_w, long out_h, long out_w,       \
                                   uint8_t *y);                                                                      \
    void qk_maxpool2x2_s8_##suffix(const int8_t *x, long planes, long in_h, long in_w, long out_h, long out_w,        \
                                   int8_t *y);                                                                       \
    void qk_maxpool2x2_f32_##suffix(const float *x, long planes, long in_h, long in_w, long out_h, long out_w, float *y);
QK_MAXPOOL2X2_DECLARE(generic)
QK_MAXPOOL2X2_DECLARE(avx2)
/// Any kernel and stride, 3-D promoted (g = input d,h,w; output d,h,w; kernel d,h,w; strides d,h,w, 12 values).
void qk_maxpool_inside_u8(const uint8_t *x, long planes, const long *g, uint8_t *y);
void qk_maxpool_inside_s8(const int8_t *x, long planes, const long *g, int8_t *y);
void qk_maxpool_inside_f32(const float *x, long planes, const long *g, float *y);

/// binary16 <-> binary32 over arrays (half values as raw bits): exact widening; narrowing rounds to nearest
/// even, overflow to infinity, NaN stays NaN (quiet). F16C when the CPU has it, else the `_portable` loops (same
/// bits). `qk_has_f16c` tells which one runs.
int qk_has_f16c(void);
void qk_half_to_float(const uint16_t *src, float *dst, long count);
void qk_float_to_half(const float *src, uint16_t *dst, long count);
void qk_half_to_float_portable(const uint16_t *src, float *dst, long count);
void qk_float_to_half_portable(const float *src, uint16_t *dst, long count);

/// fp32 convolution GEMM (sconv_avx512.c) with the output stage in the store. Where each GEMM column goes:
/// column j is pixel j % plane of image j / plane, so row i of column j lands at
/// y[(j / plane)·image_stride + i·row_stride + j % plane]; the value stored is clamp(v + bias[i], lo, hi) with
/// clamp(x) = min(max(x, lo), hi) as Swift's max/min give it (NaN passes through) and bias NULL (or 0) adding
/// nothing; lo = −inf, hi = +inf for no activation, lo = 0 for ReLU.
typedef struct {
    float *y;
    long plane;
    long image_stride;
    long row_stride;
    const float *bias;
    float lo;
    float hi;
} qk_sconv_output;

/// v[i][j] = Σ_{p < k} w[i·ldw + p] · B(p, j) for i < m, n_begin ≤ j < n (n_begin a multiple of 32), one fused multiply-add per p in increasing p from
/// 0 (the same order and rounding as qk_sgemm_micro_avx512_12x32 and _avx2_6x16), stored through `out`.
/// B(p, j) = b[(j / 32)·b_panel_stride + p·b_row_stride + j % 32]: 32-column panels packed k × 32 (b_row_stride 32,
/// b_panel_stride 32·k; columns past n are not read or may hold anything) or a row-major matrix (b_row_stride = its
/// row stride, b_panel_stride 32). Needs avx512f.
void qk_sconv_gemm_avx512(long m, long n_begin, long n, long k, const float *w, long ldw, const float *b,
                          long b_row_stride, long b_panel_stride, const qk_sconv_output *out);
/// im2col of planes of at most 16 values into rows of at most 16 (sconv_avx512.c; needs avx512f): for c < channels
/// and t < taps, row c·taps + t of dst (rows row_stride floats apart) gets, at column o < out_plane,
/// src[c·in_plane + indices[16·t + o]] where bit o of masks[t] is set, else 0. in_plane, out_plane ≤ 16.
void qk_sconv_im2col16_avx512(const float *src, long channels, long in_plane, const int32_t *indices,
                              const uint16_t *masks, long taps, long out_plane, float *dst, long row_stride);
/// Small integer GEMM with both operands at run time (i8small_gemm.c), no packing. qk_i8_widen_columns:
/// bw[p·n + j] = b[p·n + j] − zb[zb_per_column ? j : 0] (b read as int8 when b_signed, else uint8). qk_i8_small_gemm_*:
/// acc[i·n + j] = Σ_p (a[i·k + p] − za[za_per_row ? i : 0]) · bw[p·n + j] in wrapping int32 arithmetic; `av` is
/// scratch of k values. Identical results on both paths.
void qk_i8_widen_columns(long k, long n, const uint8_t *b, int b_signed, const int32_t *zb, int zb_per_column,
                         int32_t *bw);
void qk_i8_small_gemm_generic(long m, long n, long k, const uint8_t *a, int a_signed, const int32_t *za,
                              int za_per_row, const int32_t *bw, int32_t *av, int32_t *acc);
void qk_i8_small_gemm_avx2(long m, long n, long k, const uint8_t *a, int a_signed, const int32_t *za,
                           int za_per_row, const int32_t *bw, int32_t *av, int32_t *acc);
/// Channel-major int8 Conv tiles (i8conv channel kernels, appended to i8gemm_vnni.c / i8gemm_avx2.c): one panel of
/// `lanes` pixels (≤ 16 for _vnni, ≤ 8 for _avx2; packed like qk_i8conv_pack_rows with mr 16 / 8: for each quad,
/// the pixels' four bytes) against `channels` output channels, each with kq weight quads (channel c's quad q at
/// w + (q·channels + c)·4 elements: s8 bytes for _vnni, int16 pairs (w0, w2, w1, w3) for _avx2). Output channel c of lane
/// l is, with e's arrays indexed by the channel (col_adj unused, must be NULL):
///     v = Σ_q Σ_t panel[q][l][t] · w[c][q][t] + bias[c] − col_zero[c] · pixel_sums[l]
/// stored (int32, or requantized to a byte as in qk_i8_epilogue) at out + c·channel_stride + l, or at
/// out + c·channel_stride + lane_offset[l] when lane_offset is not NULL (a panel crossing images).
void qk_i8conv_channels_vnni(long kq, long channels, const int8_t *w, const uint8_t *panel, const int32_t *pixel_sums,
                             long lanes, const long *lane_offset, const qk_i8_epilogue *e, void *out,
                             long channel_stride);
void qk_i8conv_channels_avx2(long kq, long channels, const int16_t *w, const uint8_t *panel, const int32_t *pixel_sums,
                             long lanes, const long *lane_offset, const qk_i8_epilogue *e, void *out,
                             long channel_stride);

/// fp32 convolution of `images` images by output pixel (sconv_pixels_avx512.c; needs avx512f), for i < images,
/// j < m, o < pixels:
///
///     v = Σ_{e ∈ [pixel_start[o], pixel_start[o + 1])} x[i·x_image_stride + entry_input[e] / 8] · wt[entry_weight[e] + j]
///
/// one fused multiply-add per term in that order from 0, stored through `out` (output row j = channel j, column o
/// of image i at y[i·image_stride + j·row_stride + o]). wt is the transposed weight matrix (row c·taps + t holds
/// the m output channels, ldwt a multiple of 32 with zeros past m); entry e of pixel o is one (channel c, tap t)
/// inside the input, in (c, t) order: entry_weight[e] = (c·taps + t)·ldwt, entry_input[e] = 8·(c·in_plane +
/// position read). Listing only a pixel's taps inside the input gives the im2col + GEMM sum without its zero terms.
/// `values` = channels·in_plane is the input per image; `interleaved` is scratch of 8·values floats (8 images'
/// inputs, image fastest) and `stage` of 8·pixels·ldwt floats (the outputs of 8 images, pixel-major, before they
/// are transposed into place).
void qk_sconv_pixels_avx512(long images, long m, long values, const float *x, long x_image_stride, const float *wt,
                            long ldwt, const int32_t *pixel_start, const int32_t *entry_weight,
                            const int32_t *entry_input, long pixels, const qk_sconv_output *out, float *stage,
                            float *interleaved);

/// fp32 convolution by shifted input vectors (sconv_shifted_avx512.c; needs avx512f) for unit strides and output
/// rows as wide as the input rows, where im2col row r = (c, t) at output pixel o reads x[c·in_plane + o +
/// tap_offset[t]] (or 0 in the padding). For i < images, j < m, o < pixels, with rows = channels·taps:
///
///     v = Σ_{r < rows} W[j, r] · (bit o % 16 of tap_mask[t·⌈pixels/16⌉ + o / 16] ?
///                                 x[i·x_image_stride + c·in_plane + o + tap_offset[t]] : 0),  r = c·taps + t
///
/// one fused multiply-add per term (padding terms included) in increasing r from 0, the order and rounding of
/// qk_sconv_gemm_avx512, stored through `out` (row j = channel j, column o of image i at
/// y[i·image_stride + j·row_stride + o]). `wt` holds W in blocks of 16 channels: W[16·b + l, r] at
/// wt[(16·b·rows) + 16·r + l], zeros past m. Masked-off lanes are never read.
void qk_sconv_shifted_avx512(long images, long m, long channels, long taps, long in_plane, const float *x,
                             long x_image_stride, const int32_t *tap_offset, const uint16_t *tap_mask,
                             const float *wt, long pixels, const qk_sconv_output *out);
/// Int8 Conv of single-channel inputs (i8conv_single_channel.c; one group, C = 1), `images` images of in_plane
/// bytes each at x: each image is padded as qk_i8conv_pad_nhwc(x, 1, dims, padding, flip) into `positions` bytes,
/// packed by qk_i8conv_pack_rows (output pixel o < pixels reads tap t at pixel_base[o] + tap_offset[t];
/// taps ≤ 256), and panels of pixels run qk_i8conv_channels_vnni (kernel 0, 16 lanes, w as s8 quads) or _avx2
/// (kernel 1, 8 lanes, w as int16 pairs) with kq = ⌈taps / 4⌉ quads and `channels` output channels, stored with
/// `e` at
/// out + (n·channels·pixels + c·pixels + o)·element_size. `scratch` holds qk_i8conv_single_channel_scratch bytes.
long qk_i8conv_single_channel_scratch(long positions, long pixels, long taps, long kq);
void qk_i8conv_single_channel(long images, const uint8_t *x, long in_plane, const long *dims, uint8_t padding,
                              uint8_t flip, long positions, const int32_t *pixel_base, long pixels,
                              const int32_t *tap_offset, long taps, int kernel, long kq, long channels,
                              const void *w, const qk_i8_epilogue *e, void *out, long element_size,
                              uint8_t *scratch);

/// qk_i8conv_channels_vnni with the requantization through per-channel double scales when `scale` is not NULL:
/// scale[c] = multiplier[c] · 2^−r[c], valid only when every accumulator v channel c can reach (bias and zero-point
/// corrections included) has |v| < 2^31, |v| · |multiplier[c]| < 2^53 and |v| · |multiplier[c]| / 2^r[c] ≤ 2^30, so
/// that v · scale[c] is exact and its rounding to nearest, ties to even (then clamped to [qmin − zero_point,
/// qmax − zero_point]) equals qk_i8_epilogue's 64-bit requantization. Ignored for int32 output.
void qk_i8conv_channels_scaled_vnni(long kq, long channels, const int8_t *w, const uint8_t *panel,
                                    const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                    const qk_i8_epilogue *e, const double *scale, void *out, long channel_stride);
/// The AVX2 twin of qk_i8conv_channels_scaled_vnni (w as int16 pairs, 8 lanes; needs avx2).
void qk_i8conv_channels_scaled_avx2(long kq, long channels, const int16_t *w, const uint8_t *panel,
                                    const int32_t *pixel_sums, long lanes, const long *lane_offset,
                                    const qk_i8_epilogue *e, const double *scale, void *out, long channel_stride);
/// Int8 Conv (one group) of `images` NCHW images of `channels` planes of in_plane ≤ 16 bytes each (u8 values, each
/// ^ flip; channels a multiple of 4) with pixels ≤ 16 output pixels, one 16-lane panel per image packed without a
/// padded copy (i8conv_small_plane.c; needs avx512f/bw/vnni): depth t·channels + c of lane l reads
/// x[c·in_plane + lane_source[16·t + l]], or `padding` where lane_source is negative, then runs
/// qk_i8conv_channels_scaled_vnni (kq = taps·channels/4 quads, `out_channels` channels, w and e and scale as there)
/// into out + n·out_channels·pixels·element_size. `scratch` holds qk_i8conv_small_plane_scratch bytes.
long qk_i8conv_small_plane_scratch(long channels, long taps);
void qk_i8conv_small_plane_vnni(long images, const uint8_t *x, long channels, long in_plane, uint8_t padding,
                                uint8_t flip, const int32_t *lane_source, long taps, long pixels, long out_channels,
                                const int8_t *w, const qk_i8_epilogue *e, const double *scale, void *out,
                                long element_size, uint8_t *scratch);
/// Int8 Conv of single-channel inputs on AVX-512 VNNI + VBMI (i8conv_single_channel_vnni.c), needs
/// qk_cpu_has_avx512vbmi(): the same result as qk_i8conv_single_channel with kernel 0 (w as s8 quads, channel c's
/// quad q at w + (q·channels + c)·4; e as there) for `images` images of in_plane bytes at x, without a padded copy:
/// output pixel 16·p + l (l < 16, < pixels), tap t = 4q + b (< taps ≤ 32) reads
/// x[n·in_plane + start[p] + index[64·(p·kq + q) + 4l + b]] XOR flip when bit 4l + b of inside[p·kq + q] is set,
/// else the stored zero point `padding` (kq = ⌈taps / 4⌉; index values < 128, reads stay below in_plane).
/// Byte results go to out + n·channels·pixels + c·pixels + o, int32 results (e->multiplier NULL) at 4× that.
/// Returns 0 without writing anything when it does not apply (kq > 8, or a requantization multiplier
/// multiplier[c] / 2^shift[c] ≥ 1). `scratch` holds qk_i8conv_single_channel_vnni_scratch bytes.
int qk_cpu_has_avx512vbmi(void);
long qk_i8conv_single_channel_vnni_scratch(long panels, long kq, long channels);
int qk_i8conv_single_channel_vnni(long images, const uint8_t *x, long in_plane, uint8_t padding, uint8_t flip,
                                  long pixels, long panels, long taps, const int32_t *start, const uint8_t *index,
                                  const uint64_t *inside, long channels, const int8_t *w, const qk_i8_epilogue *e,
                                  void *out, uint8_t *scratch);
/// Per-column byte tables (i8lookup.c): for r < rows, j < n, y[r·n + j] = table[j·256 + (x[r·n + j] ^ flip)]
/// (flip 0x80 indexes int8 data from −128, 0 uint8 data). x and y may be the same memory.
void qk_i8_column_lookup(long rows, long n, const uint8_t *x, const uint8_t *table, uint8_t flip, uint8_t *y);

#endif
