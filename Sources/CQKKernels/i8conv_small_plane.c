// Int8 convolution of inputs whose planes hold at most 16 positions (late layers of a small CNN: 4×4 feature maps
// with many channels), one 16-pixel panel per image, packed straight from the NCHW input without a padded copy:
// the four channels of each channel quad are interleaved once into a vector of 16 position words, and every
// (tap, channel quad) of the panel is then one permute of that vector, padding lanes taking the zero point. The
// panel runs qk_i8conv_channels_scaled_vnni, which stores straight into the image's planes.
#include "CQKKernels.h"
#include <immintrin.h>

#define QK_SMALL_PLANE_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

long qk_i8conv_small_plane_scratch(long channels, long taps) {
    return (channels / 4 + taps * (channels / 4)) * 64 + 64;
}

// Channels c..c+3 of one image (planes of in_plane ≤ 16 bytes, each byte ^ flip) as 16 words: word p holds
// position p of the four channels, channel c in its low byte.
static inline QK_SMALL_PLANE_TARGET __m512i qk_channel_quad_words(const uint8_t *x, long in_plane, __m128i flips) {
    const __mmask64 mask = (__mmask64)((1ull << in_plane) - 1);
    __m128i r[4];
    for (int b = 0; b < 4; b++) {
        r[b] = _mm_xor_si128(_mm512_castsi512_si128(_mm512_maskz_loadu_epi8(mask, x + b * in_plane)), flips);
    }
    const __m128i low01 = _mm_unpacklo_epi8(r[0], r[1]), high01 = _mm_unpackhi_epi8(r[0], r[1]);
    const __m128i low23 = _mm_unpacklo_epi8(r[2], r[3]), high23 = _mm_unpackhi_epi8(r[2], r[3]);
    __m512i words = _mm512_castsi128_si512(_mm_unpacklo_epi16(low01, low23));
    words = _mm512_inserti32x4(words, _mm_unpackhi_epi16(low01, low23), 1);
    words = _mm512_inserti32x4(words, _mm_unpacklo_epi16(high01, high23), 2);
    return _mm512_inserti32x4(words, _mm_unpackhi_epi16(high01, high23), 3);
}

QK_SMALL_PLANE_TARGET
void qk_i8conv_small_plane_vnni(long images, const uint8_t *x, long channels, long in_plane, uint8_t padding,
                                uint8_t flip, const int32_t *lane_source, long taps, long pixels, long out_channels,
                                const int8_t *w, const qk_i8_epilogue *e, const double *scale, void *out,
                                long element_size, uint8_t *scratch) {
    const long quads_per_tap = channels / 4, kq = taps * quads_per_tap;
    __m512i *words = (__m512i *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63), *panel = words + quads_per_tap;
    const __m128i flips = _mm_set1_epi8((char)flip);
    const __m512i pad = _mm512_set1_epi8((char)padding), ones = _mm512_set1_epi8(1);
    const __mmask16 lanes = (__mmask16)(pixels >= 16 ? 0xFFFF : (1u << pixels) - 1);
    const int zero_points = e->col_zero != NULL;
    int32_t sums[16];
    for (long n = 0; n < images; n++) {
        const uint8_t *image = x + n * channels * in_plane;
        for (long c4 = 0; c4 < quads_per_tap; c4++) {
            words[c4] = qk_channel_quad_words(image + 4 * c4 * in_plane, in_plane, flips);
        }
        __m512i sum = _mm512_setzero_si512();
        for (long t = 0; t < taps; t++) {
            const __m512i source = _mm512_loadu_si512(lane_source + 16 * t);
            const __mmask16 inside = _mm512_mask_cmpge_epi32_mask(lanes, source, _mm512_setzero_si512());
            for (long c4 = 0; c4 < quads_per_tap; c4++) {
                const __m512i quad = _mm512_mask_permutexvar_epi32(pad, inside, source, words[c4]);
                panel[t * quads_per_tap + c4] = quad;
                if (zero_points) sum = _mm512_dpbusd_epi32(sum, quad, ones);
            }
        }
        _mm512_storeu_si512(sums, sum);
        qk_i8conv_channels_scaled_vnni(kq, out_channels, w, (const uint8_t *)panel, sums, pixels, NULL, e, scale,
                                       (uint8_t *)out + n * out_channels * pixels * element_size, pixels);
    }
}
