// Int8 convolution of single-channel inputs (one group, C = 1: the first layer of an image CNN) without the GEMM
// row packing: each image is padded once, its K tap rows (the im2col matrix, one byte per pixel) are copied out
// a row of pixels at a time, and every panel of pixels is interleaved from them and run by the channel-major tile
// (qk_i8conv_channels_vnni / _avx2), which stores straight into the image's channel planes.
#include <string.h>
#include "CQKKernels.h"
#include "i8conv_interleave.h"

// Tap rows are this many bytes longer than their pixels (8-byte copies and 16-byte panel loads may overrun).
#define QK_TAP_SLACK 16

long qk_i8conv_single_channel_scratch(long positions, long pixels, long taps, long kq) {
    const long tap_stride = ((pixels + 15) & ~15L) + QK_TAP_SLACK;
    return (positions + QK_TAP_SLACK) + tap_stride * taps + 64 * kq + 16 * (long)sizeof(int32_t) + 64;
}

// tap_rows[t·tap_stride + o] = padded[pixel_base[o] + tap_offset[t]]: rows of consecutive positions (stride 1
// along the row) are copied 8 bytes at a time, overrunning into bytes that the next row (or the slack) rewrites.
static void qk_copy_tap_rows(const uint8_t *padded, const int32_t *pixel_base, long pixels, long row_pixels,
                             const int32_t *tap_offset, long taps, long tap_stride, uint8_t *tap_rows) {
    for (long r = 0; r < pixels; r += row_pixels) {
        const long count = pixels - r < row_pixels ? pixels - r : row_pixels;
        const int contiguous = pixel_base[r + count - 1] - pixel_base[r] == count - 1;
        for (long t = 0; t < taps; t++) {
            uint8_t *dst = tap_rows + t * tap_stride + r;
            if (contiguous) {
                const uint8_t *src = padded + pixel_base[r] + tap_offset[t];
                for (long i = 0; i < count; i += 8) memcpy(dst + i, src + i, 8);
            } else {
                for (long i = 0; i < count; i++) dst[i] = padded[pixel_base[r + i] + tap_offset[t]];
            }
        }
    }
}

// One panel of `mr` (16 or 8) pixels from column o of the tap rows: quad q, lane l holds the bytes of taps 4q … 4q + 3
// (0 past `taps`) at l·4 + q·mr·4; sums[l] = Σ_t of its taps.
static void qk_interleave_panel(const uint8_t *tap_rows, long tap_stride, long o, long taps, long kq, long mr,
                                uint8_t *panel, int32_t *sums) {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    __m128i sum_low = zero, sum_high = zero;
    for (long q = 0; q < kq; q++) {
        __m128i v[4];
        for (int b = 0; b < 4; b++) {
            const long t = 4 * q + b;
            v[b] = t < taps ? _mm_loadu_si128((const __m128i *)(tap_rows + t * tap_stride + o)) : zero;
        }
        qk_i8conv_interleave_quad(v, mr, panel + q * mr * 4, &sum_low, &sum_high);
    }
    qk_i8conv_store_sums(sum_low, sum_high, mr, sums);
#else
    for (long l = 0; l < mr; l++) {
        int32_t sum = 0;
        for (long q = 0; q < kq; q++) {
            for (long b = 0; b < 4; b++) {
                const long t = 4 * q + b;
                const uint8_t byte = t < taps ? tap_rows[t * tap_stride + o + l] : 0;
                panel[q * mr * 4 + l * 4 + b] = byte;
                sum += byte;
            }
        }
        sums[l] = sum;
    }
#endif
}

void qk_i8conv_single_channel(long images, const uint8_t *x, long in_plane, const long *dims, uint8_t padding,
                              uint8_t flip, long positions, const int32_t *pixel_base, long pixels, long row_pixels,
                              const int32_t *tap_offset, long taps, int kernel, long kq, long channels,
                              const void *w, const qk_i8_epilogue *e, void *out, long element_size,
                              uint8_t *scratch) {
    const long tap_stride = ((pixels + 15) & ~15L) + QK_TAP_SLACK, mr = kernel == 0 ? 16 : 8;
    uint8_t *padded = scratch, *tap_rows = padded + positions + QK_TAP_SLACK;
    uint8_t *panel = tap_rows + tap_stride * taps;
    int32_t *sums = (int32_t *)(((uintptr_t)(panel + 64 * kq) + 63) & ~(uintptr_t)63);
    memset(padded + positions, padding, QK_TAP_SLACK);
    for (long n = 0; n < images; n++) {
        qk_i8conv_pad_nhwc(x + n * in_plane, 1, dims, padding, flip, padded);
        qk_copy_tap_rows(padded, pixel_base, pixels, row_pixels, tap_offset, taps, tap_stride, tap_rows);
        uint8_t *image_out = (uint8_t *)out + n * channels * pixels * element_size;
        for (long o = 0; o < pixels; o += mr) {
            const long lanes = pixels - o < mr ? pixels - o : mr;
            qk_interleave_panel(tap_rows, tap_stride, o, taps, kq, mr, panel, sums);
            void *target = image_out + o * element_size;
            if (kernel == 0) {
                qk_i8conv_channels_vnni(kq, channels, (const int8_t *)w, panel, sums, lanes, NULL, e, target, pixels);
            } else {
                qk_i8conv_channels_avx2(kq, channels, (const int16_t *)w, panel, sums, lanes, NULL, e, target, pixels);
            }
        }
    }
}
