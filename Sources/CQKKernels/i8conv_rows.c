// Int8 convolution as a GEMM whose rows are output pixels, packed straight from a padded channels-last copy of
// the input (no im2col matrix, no transpose): see qk_i8conv_pad_nhwc and qk_i8conv_pack_rows in CQKKernels.h.
#include <string.h>
#include "CQKKernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>

// Where plane position (d, h, w) lands in the padded channels-last copy (its first channel), or −1 when it lies past
// the padded extent.
static inline long qk_padded_offset(long d, long h, long w, long channels, const long *dims) {
    if (d + dims[6] >= dims[3] || h + dims[7] >= dims[4] || w + dims[8] >= dims[5]) return -1;
    return (((d + dims[6]) * dims[4] + h + dims[7]) * dims[5] + w + dims[8]) * channels;
}

static inline void qk_transpose16_in_registers(__m128i x[16]);

// qk_i8conv_pad_nhwc's copy for 16 or more channels: 16 channels × 16 consecutive plane positions at a time are
// transposed in registers and each position's 16 channel bytes stored at its padded place (the rest bytewise).
static void qk_pad_nhwc_blocks(const uint8_t *x, long channels, const long *dims, uint8_t flip, uint8_t *dst) {
    const long plane = dims[0] * dims[1] * dims[2];
    const __m128i flips = _mm_set1_epi8((char)flip);
    long offset[16], d = 0, h = 0, w = 0;
    for (long p0 = 0; p0 < plane; p0 += 16) {
        const long count = plane - p0 < 16 ? plane - p0 : 16;
        for (long j = 0; j < count; j++) {
            offset[j] = qk_padded_offset(d, h, w, channels, dims);
            if (++w == dims[2]) {
                w = 0;
                if (++h == dims[1]) {
                    h = 0;
                    d++;
                }
            }
        }
        long c0 = 0;
        if (count == 16) {
            for (; c0 + 16 <= channels; c0 += 16) {
                __m128i rows[16];
                for (int i = 0; i < 16; i++) {
                    rows[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(x + (c0 + i) * plane + p0)), flips);
                }
                qk_transpose16_in_registers(rows);
                for (int j = 0; j < 16; j++) {
                    if (offset[j] >= 0) _mm_storeu_si128((__m128i *)(dst + offset[j] + c0), rows[j]);
                }
            }
        }
        for (long j = 0; j < count; j++) {
            if (offset[j] < 0) continue;
            for (long c = c0; c < channels; c++) dst[offset[j] + c] = x[c * plane + p0 + j] ^ flip;
        }
    }
}

// Four pixels (consecutive lanes of one panel, starting at `lane`) whose taps read 16 or more channels: each tap's
// 16-channel runs are transposed 4 × 4 in words, so four quads of the four pixels go out as four 16-byte stores.
static void qk_pack_four_pixels(const uint8_t *image, long stride, long channels, const int32_t *base,
                                const int32_t *tap_offset, long taps, long lane_stride, uint8_t *lane) {
    long q = 0;
    for (long t = 0; t < taps; t++) {
        const uint8_t *s[4];
        for (int k = 0; k < 4; k++) s[k] = image + (base[k] + tap_offset[t]) * stride;
        long c = 0;
        for (; c + 16 <= channels; c += 16, q += 4) {
            const __m128i a = _mm_loadu_si128((const __m128i *)(s[0] + c));
            const __m128i b = _mm_loadu_si128((const __m128i *)(s[1] + c));
            const __m128i e = _mm_loadu_si128((const __m128i *)(s[2] + c));
            const __m128i f = _mm_loadu_si128((const __m128i *)(s[3] + c));
            const __m128i ab_low = _mm_unpacklo_epi32(a, b), ab_high = _mm_unpackhi_epi32(a, b);
            const __m128i ef_low = _mm_unpacklo_epi32(e, f), ef_high = _mm_unpackhi_epi32(e, f);
            _mm_storeu_si128((__m128i *)(lane + q * lane_stride), _mm_unpacklo_epi64(ab_low, ef_low));
            _mm_storeu_si128((__m128i *)(lane + (q + 1) * lane_stride), _mm_unpackhi_epi64(ab_low, ef_low));
            _mm_storeu_si128((__m128i *)(lane + (q + 2) * lane_stride), _mm_unpacklo_epi64(ab_high, ef_high));
            _mm_storeu_si128((__m128i *)(lane + (q + 3) * lane_stride), _mm_unpackhi_epi64(ab_high, ef_high));
        }
        for (; c < channels; c += 4, q++) {
            for (int k = 0; k < 4; k++) memcpy(lane + q * lane_stride + 4 * k, s[k] + c, 4);
        }
    }
}
#endif

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
#if defined(__SSE2__)
    if (channels >= 16 && plane >= 16) {
        qk_pad_nhwc_blocks(x, channels, dims, flip, dst);
        return;
    }
#endif
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

// One channel, stride 1, mr (4, 8 or 16) pixels whose bases run consecutively (mr 16: two runs of 8, e.g. two
// output rows of 8): for each quad the pixels' 4 taps are four mr-byte loads interleaved into lane-major words; the
// row sums add up in 16 bits (taps ≤ 257).
static int qk_pack_consecutive(const uint8_t *image, const int32_t *base, const int32_t *tap_offset, long taps,
                               long quads, long mr, uint8_t *panel, int32_t *row_sums) {
    if ((mr != 4 && mr != 8 && mr != 16) || taps > 257) return 0;
    const long run = mr == 16 ? 8 : mr;
    for (long h = 0; h < mr; h += run) {
        if (base[h + run - 1] - base[h] != run - 1) return 0;
    }
    const uint8_t *x0 = image + base[0], *x1 = image + base[mr == 16 ? 8 : 0];
    const __m128i zero = _mm_setzero_si128();
    __m128i sum = zero, sum_high = zero;
    for (long q = 0; q < quads; q++) {
        __m128i v[4];
        for (int b = 0; b < 4; b++) {
            const long t = 4 * q + b;
            if (t >= taps) {
                v[b] = zero;
            } else if (mr == 16) {
                v[b] = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(x0 + tap_offset[t])),
                                          _mm_loadl_epi64((const __m128i *)(x1 + tap_offset[t])));
            } else if (mr == 8) {
                v[b] = _mm_loadl_epi64((const __m128i *)(x0 + tap_offset[t]));
            } else {
                int32_t word;
                memcpy(&word, x0 + tap_offset[t], 4);
                v[b] = _mm_cvtsi32_si128(word);
            }
            sum = _mm_add_epi16(sum, _mm_unpacklo_epi8(v[b], zero));
            sum_high = _mm_add_epi16(sum_high, _mm_unpackhi_epi8(v[b], zero));
        }
        uint8_t *target = panel + q * mr * 4;
        const __m128i ab = _mm_unpacklo_epi8(v[0], v[1]), cd = _mm_unpacklo_epi8(v[2], v[3]);
        _mm_storeu_si128((__m128i *)target, _mm_unpacklo_epi16(ab, cd));
        if (mr >= 8) _mm_storeu_si128((__m128i *)(target + 16), _mm_unpackhi_epi16(ab, cd));
        if (mr == 16) {
            const __m128i ab_high = _mm_unpackhi_epi8(v[0], v[1]), cd_high = _mm_unpackhi_epi8(v[2], v[3]);
            _mm_storeu_si128((__m128i *)(target + 32), _mm_unpacklo_epi16(ab_high, cd_high));
            _mm_storeu_si128((__m128i *)(target + 48), _mm_unpackhi_epi16(ab_high, cd_high));
        }
    }
    _mm_storeu_si128((__m128i *)row_sums, _mm_unpacklo_epi16(sum, zero));
    if (mr >= 8) _mm_storeu_si128((__m128i *)(row_sums + 4), _mm_unpackhi_epi16(sum, zero));
    if (mr == 16) {
        _mm_storeu_si128((__m128i *)(row_sums + 8), _mm_unpacklo_epi16(sum_high, zero));
        _mm_storeu_si128((__m128i *)(row_sums + 12), _mm_unpackhi_epi16(sum_high, zero));
    }
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
        // A whole panel of pixels reading runs of consecutive bytes.
        if (channels == 1 && stride == 1 && in_panel == 0 && p + mr <= pixels
            && qk_pack_consecutive(image, pixel_base + p, tap_offset, taps, quads, mr, panel, row_sums + i)) {
            p += mr - 1;
            in_panel = mr - 1;
            continue;
        }
#endif
        uint8_t *lane = panel + in_panel * 4;
#if defined(__SSE2__)
        if (channels >= 16 && (channels & 3) == 0 && (mr & 3) == 0 && (in_panel & 3) == 0 && p + 4 <= pixels) {
            qk_pack_four_pixels(image, stride, channels, pixel_base + p, tap_offset, taps, lane_stride, lane);
            for (long k = 0; position_sums && k < 4; k++) {
                int32_t sum = 0;
                for (long t = 0; t < taps; t++) sum += position_sums[pixel_base[p + k] + tap_offset[t]];
                row_sums[i + k] = sum;
            }
            p += 3;
            in_panel += 3;
            continue;
        }
#endif
        if (position_sums) {
            int32_t sum = 0;
            for (long t = 0; t < taps; t++) sum += position_sums[base + tap_offset[t]];
            row_sums[i] = sum;
        }
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
// Transposes 16 rows of 16 bytes in place: four rounds of interleaving row j with row j + 8 leave the transpose.
static inline void qk_transpose16_in_registers(__m128i x[16]) {
    __m128i y[16];
    for (int round = 0; round < 4; round++) {
        for (int j = 0; j < 8; j++) {
            y[2 * j] = _mm_unpacklo_epi8(x[j], x[j + 8]);
            y[2 * j + 1] = _mm_unpackhi_epi8(x[j], x[j + 8]);
        }
        for (int i = 0; i < 16; i++) x[i] = y[i];
    }
}

// One 16 × 16 block.
static inline void qk_transpose16x16(const uint8_t *src, long src_ld, uint8_t *dst, long dst_ld) {
    __m128i x[16];
    for (int i = 0; i < 16; i++) x[i] = _mm_loadu_si128((const __m128i *)(src + i * src_ld));
    qk_transpose16_in_registers(x);
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
