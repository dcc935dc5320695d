// Int8 convolution as a GEMM whose rows are output pixels, packed straight from a padded channels-last copy of
// the input (no im2col matrix, no transpose): see qk_i8conv_pad_nhwc and qk_i8conv_pack_rows in CQKKernels.h.
#include <string.h>
#include "CQKKernels.h"

void qk_i8conv_pad_nhwc(const uint8_t *x, long channels, const long *dims, uint8_t padding, uint8_t flip,
                        uint8_t *dst) {
    const long in_d = dims[0], in_h = dims[1], in_w = dims[2];
    const long pd = dims[3], ph = dims[4], pw = dims[5];
    const long begin_d = dims[6], begin_h = dims[7], begin_w = dims[8];
    const long positions = pd * ph * pw;
    memset(dst, padding, (size_t)(positions * channels));
    // The input positions that land inside the padded extent (reads past it never happen).
    const long end_d = in_d < pd - begin_d ? in_d : pd - begin_d;
    const long end_h = in_h < ph - begin_h ? in_h : ph - begin_h;
    const long end_w = in_w < pw - begin_w ? in_w : pw - begin_w;
    if (end_d <= 0 || end_h <= 0 || end_w <= 0) return;
    const long plane = in_d * in_h * in_w;
    for (long d = 0; d < end_d; d++) {
        for (long h = 0; h < end_h; h++) {
            const uint8_t *line = x + (d * in_h + h) * in_w;
            uint8_t *target = dst + (((d + begin_d) * ph + h + begin_h) * pw + begin_w) * channels;
            if (channels == 1) {
                for (long w = 0; w < end_w; w++) target[w] = line[w] ^ flip;
                continue;
            }
            for (long w = 0; w < end_w; w++) {
                uint8_t *position = target + w * channels;
                for (long c = 0; c < channels; c++) position[c] = line[c * plane + w] ^ flip;
            }
        }
    }
}

void qk_i8conv_position_sums(const uint8_t *nhwc, long positions, long stride, long channels, int32_t *sums) {
    for (long p = 0; p < positions; p++) {
        const uint8_t *position = nhwc + p * stride;
        int32_t sum = 0;
        for (long c = 0; c < channels; c++) sum += position[c];
        sums[p] = sum;
    }
}

void qk_i8conv_pack_rows(const uint8_t *image, long stride, long channels, const int32_t *position_sums,
                         const int32_t *pixel_base, long pixels, const int32_t *tap_offset, long taps, long first_row,
                         long mr, long quads, uint8_t *dst, int32_t *row_sums) {
    const long lane_stride = mr * 4, panel_bytes = quads * mr * 4;
    for (long p = 0; p < pixels; p++) {
        const long i = first_row + p, base = pixel_base[p];
        uint8_t *lane = dst + (i / mr) * panel_bytes + (i % mr) * 4;
        int32_t sum = 0;
        for (long t = 0; t < taps; t++) sum += position_sums[base + tap_offset[t]];
        row_sums[i] = sum;
        long q = 0;
        if ((channels & 3) == 0) {
            // Each tap's channels are whole quads: copy them as 4-byte words.
            for (long t = 0; t < taps; t++) {
                const uint8_t *source = image + (base + tap_offset[t]) * stride;
                for (long c = 0; c < channels; c += 4, q++) memcpy(lane + q * lane_stride, source + c, 4);
            }
            continue;
        }
        // Otherwise the quads are assembled in a register (little-endian: depth 4q + b is byte b), a zero-padded
        // last one included; byte stores reread as words would stall store forwarding.
        uint32_t word = 0;
        int filled = 0;
        for (long t = 0; t < taps; t++) {
            const uint8_t *source = image + (base + tap_offset[t]) * stride;
            for (long c = 0; c < channels; c++) {
                word |= (uint32_t)source[c] << (8 * filled);
                if (++filled == 4) {
                    memcpy(lane + q++ * lane_stride, &word, 4);
                    word = 0;
                    filled = 0;
                }
            }
        }
        if (filled) memcpy(lane + q * lane_stride, &word, 4);
    }
}

#if defined(__SSE2__)
#include <emmintrin.h>

// One 16 × 16 block: four rounds of interleaving row j with row j + 8 leave the transpose.
static inline void qk_transpose16x16(const uint8_t *src, long src_ld, uint8_t *dst, long dst_ld) {
    __m128i x[16], y[16];
    for (int i = 0; i < 16; i++) x[i] = _mm_loadu_si128((const __m128i *)(src + i * src_ld));
    for (int round = 0; round < 4; round++) {
        for (int j = 0; j < 8; j++) {
            y[2 * j] = _mm_unpacklo_epi8(x[j], x[j + 8]);
            y[2 * j + 1] = _mm_unpackhi_epi8(x[j], x[j + 8]);
        }
        for (int i = 0; i < 16; i++) x[i] = y[i];
    }
    for (int i = 0; i < 16; i++) _mm_storeu_si128((__m128i *)(dst + i * dst_ld), x[i]);
}
#endif

void qk_i8conv_transpose(const uint8_t *src, long rows, long cols, uint8_t *dst) {
    long r0 = 0;
#if defined(__SSE2__)
    for (; r0 + 16 <= rows; r0 += 16) {
        long c0 = 0;
        for (; c0 + 16 <= cols; c0 += 16) qk_transpose16x16(src + r0 * cols + c0, cols, dst + c0 * rows + r0, rows);
        for (long c = c0; c < cols; c++) {
            for (long r = r0; r < r0 + 16; r++) dst[c * rows + r] = src[r * cols + c];
        }
    }
#endif
    for (long c = 0; c < cols; c++) {
        for (long r = r0; r < rows; r++) dst[c * rows + r] = src[r * cols + c];
    }
}
