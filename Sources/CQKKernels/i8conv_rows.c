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

#if defined(__SSE2__)
#include <emmintrin.h>

// One channel, stride 1, mr (4 or 8) pixels that read consecutive bytes: for each quad the mr pixels' 4 taps are
// four mr-byte loads interleaved into lane-major words; the row sums add up in 16 bits (taps ≤ 257).
static int qk_pack_consecutive(const uint8_t *x, const int32_t *tap_offset, long taps, long quads, long mr,
                               uint8_t *panel, int32_t *row_sums) {
    if ((mr != 4 && mr != 8) || taps > 257) return 0;
    const __m128i zero = _mm_setzero_si128();
    __m128i sum = zero;
    for (long q = 0; q < quads; q++) {
        __m128i v[4];
        for (int b = 0; b < 4; b++) {
            const long t = 4 * q + b;
            if (t >= taps) {
                v[b] = zero;
            } else if (mr == 8) {
                v[b] = _mm_loadl_epi64((const __m128i *)(x + tap_offset[t]));
            } else {
                int32_t word;
                memcpy(&word, x + tap_offset[t], 4);
                v[b] = _mm_cvtsi32_si128(word);
            }
            sum = _mm_add_epi16(sum, _mm_unpacklo_epi8(v[b], zero));
        }
        const __m128i ab = _mm_unpacklo_epi8(v[0], v[1]), cd = _mm_unpacklo_epi8(v[2], v[3]);
        _mm_storeu_si128((__m128i *)(panel + q * mr * 4), _mm_unpacklo_epi16(ab, cd));
        if (mr == 8) _mm_storeu_si128((__m128i *)(panel + q * mr * 4 + 16), _mm_unpackhi_epi16(ab, cd));
    }
    _mm_storeu_si128((__m128i *)row_sums, _mm_unpacklo_epi16(sum, zero));
    if (mr == 8) _mm_storeu_si128((__m128i *)(row_sums + 4), _mm_unpackhi_epi16(sum, zero));
    return 1;
}
#endif

void qk_i8conv_pack_rows(const uint8_t *image, long stride, long channels, const int32_t *position_sums,
                         const int32_t *pixel_base, long pixels, const int32_t *tap_offset, long taps, long first_row,
                         long mr, long quads, uint8_t *dst, int32_t *row_sums) {
    const long lane_stride = mr * 4, panel_bytes = quads * mr * 4;
    long in_panel = first_row % mr;
    uint8_t *panel = dst + (first_row / mr) * panel_bytes;
    for (long p = 0; p < pixels; p++, in_panel++) {
        if (in_panel == mr) {
            in_panel = 0;
            panel += panel_bytes;
        }
        const long i = first_row + p, base = pixel_base[p];
#if defined(__SSE2__)
        // A whole panel of pixels reading consecutive bytes (strictly increasing bases, mr − 1 apart).
        if (channels == 1 && stride == 1 && in_panel == 0 && p + mr <= pixels && pixel_base[p + mr - 1] - base == mr - 1
            && qk_pack_consecutive(image + base, tap_offset, taps, quads, mr, panel, row_sums + i)) {
            p += mr - 1;
            in_panel = mr - 1;
            continue;
        }
#endif
        uint8_t *lane = panel + in_panel * 4;
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
        if (channels == 1) {
            for (long t = 0; t < taps; t++) {
                word |= (uint32_t)image[(base + tap_offset[t]) * stride] << (8 * (t & 3));
                if ((t & 3) == 3) {
                    memcpy(lane + q++ * lane_stride, &word, 4);
                    word = 0;
                }
            }
            if (taps & 3) memcpy(lane + q * lane_stride, &word, 4);
            continue;
        }
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
