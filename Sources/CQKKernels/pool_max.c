// Max pooling over windows that lie inside the input (no padding, no dilation): see qk_maxpool_* in CQKKernels.h.
// Plain loops the compiler vectorizes; the float versions keep the scalar fold `x >= best ? x : best` in window
// order, so their results (NaN and signed zeros included) equal the general Swift loop's.
#include "CQKKernels.h"

#define QK_MAX(best, x) ((x) >= (best) ? (x) : (best))

// 2×2 stride 2 (qk_maxpool2x2_*_generic; the AVX2 versions are in pool_max2x2_avx2.c): taps in the order
// top-left, top-right, bottom-left, bottom-right.
#define QK_MAXPOOL_2X2(name, T)                                                                       \
    void name(const T *x, long planes, long in_h, long in_w, long out_h, long out_w, T *y) {         \
        for (long plane = 0; plane < planes; plane++) {                                               \
            for (long zh = 0; zh < out_h; zh++) {                                                     \
                const T *top = x + (plane * in_h + 2 * zh) * in_w, *bottom = top + in_w;              \
                T *out = y + (plane * out_h + zh) * out_w;                                            \
                for (long zw = 0; zw < out_w; zw++) {                                                 \
                    T best = top[2 * zw];                                                             \
                    best = QK_MAX(best, top[2 * zw + 1]);                                             \
                    best = QK_MAX(best, bottom[2 * zw]);                                              \
                    best = QK_MAX(best, bottom[2 * zw + 1]);                                          \
                    out[zw] = best;                                                                   \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }
QK_MAXPOOL_2X2(qk_maxpool2x2_u8_generic, uint8_t)
QK_MAXPOOL_2X2(qk_maxpool2x2_s8_generic, int8_t)
QK_MAXPOOL_2X2(qk_maxpool2x2_f32_generic, float)

// Any kernel and stride (3-D promoted, g = input d,h,w; output d,h,w; kernel d,h,w; strides d,h,w): each output
// line starts from its first tap and folds the others in window order.
#define QK_MAXPOOL_INSIDE(name, T)                                                                 \
    void name(const T *x, long planes, const long *g, T *y) {                                     \
        const long in_d = g[0], in_h = g[1], in_w = g[2], out_d = g[3], out_h = g[4], out_w = g[5]; \
        const long kd = g[6], kh = g[7], kw = g[8], sd = g[9], sh = g[10], sw = g[11];            \
        for (long plane = 0; plane < planes; plane++) {                                           \
            const T *src = x + plane * in_d * in_h * in_w;                                        \
            for (long zd = 0; zd < out_d; zd++) {                                                 \
                for (long zh = 0; zh < out_h; zh++) {                                             \
                    const T *row = src + (zd * sd * in_h + zh * sh) * in_w;                       \
                    T *out = y + ((plane * out_d + zd) * out_h + zh) * out_w;                     \
                    for (long zw = 0; zw < out_w; zw++) out[zw] = row[zw * sw];                   \
                    for (long td = 0; td < kd; td++)                                              \
                        for (long th = 0; th < kh; th++)                                          \
                            for (long tw = 0; tw < kw; tw++) {                                    \
                                if (td + th + tw == 0) continue;                                  \
                                const T *line = row + (td * in_h + th) * in_w + tw;               \
                                for (long zw = 0; zw < out_w; zw++)                               \
                                    out[zw] = QK_MAX(out[zw], line[zw * sw]);                     \
                            }                                                                     \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }
QK_MAXPOOL_INSIDE(qk_maxpool_inside_u8, uint8_t)
QK_MAXPOOL_INSIDE(qk_maxpool_inside_s8, int8_t)
QK_MAXPOOL_INSIDE(qk_maxpool_inside_f32, float)
