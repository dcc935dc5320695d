// Int8 convolution of single-channel inputs (one group, C = 1: the first layer of an image CNN) without the GEMM
// batch-wide row buffers: image by image, the input is padded, its pixel panels packed (qk_i8conv_pack_rows) and
// run by the channel-major tile (qk_i8conv_channels_vnni / _avx2), which stores straight into the image's planes.
#include <string.h>
#include "CQKKernels.h"

// Bytes past the padded image (the packer's 8-byte loads of a row may run over its end).
#define QK_SLACK 16

long qk_i8conv_single_channel_scratch(long positions, long pixels, long taps, long kq) {
    const long panels = (pixels + 15) / 16 + 1;
    return positions + QK_SLACK + panels * 64 * kq + (positions + 16 * panels) * (long)sizeof(int32_t) + 64;
}

void qk_i8conv_single_channel(long images, const uint8_t *x, long in_plane, const long *dims, uint8_t padding,
                              uint8_t flip, long positions, const int32_t *pixel_base, long pixels,
                              const int32_t *tap_offset, long taps, int kernel, long kq, long channels,
                              const void *w, const qk_i8_epilogue *e, void *out, long element_size,
                              uint8_t *scratch) {
    const long mr = kernel == 0 ? 16 : 8, panel_bytes = mr * 4 * kq, panel_count = (pixels + mr - 1) / mr;
    // All panels of an image are packed before any runs: a panel's 16-byte stores read back at once by the
    // tile's wider loads would stall store forwarding.
    uint8_t *padded = scratch, *panels = padded + positions + QK_SLACK;
    int32_t *position_sums = (int32_t *)(((uintptr_t)(panels + panel_bytes * panel_count) + 63) & ~(uintptr_t)63);
    int32_t *sums = position_sums + positions;
    memset(padded + positions, padding, QK_SLACK);
    for (long n = 0; n < images; n++) {
        qk_i8conv_pad_nhwc(x + n * in_plane, 1, dims, padding, flip, padded);
        if (e->col_zero) qk_i8conv_position_sums(padded, positions, 1, 1, position_sums);
        qk_i8conv_pack_rows(padded, 1, 1, e->col_zero ? position_sums : NULL, pixel_base, pixels, tap_offset, taps,
                            0, mr, kq, panels, sums);
        uint8_t *image_out = (uint8_t *)out + n * channels * pixels * element_size;
        for (long i = 0; i < panel_count; i++) {
            const long o = i * mr, lanes = pixels - o < mr ? pixels - o : mr;
            const uint8_t *panel = panels + i * panel_bytes;
            void *target = image_out + o * element_size;
            if (kernel == 0) {
                qk_i8conv_channels_vnni(kq, channels, (const int8_t *)w, panel, sums + o, lanes, NULL, e, target,
                                        pixels);
            } else {
                qk_i8conv_channels_avx2(kq, channels, (const int16_t *)w, panel, sums + o, lanes, NULL, e, target,
                                        pixels);
            }
        }
    }
}
