// Max pooling over windows that lie inside the input (no padding, no dilation): see qk_maxpool_* in CQKKernels.h.
// Plain loops the compiler vectorizes; the float versions keep the scalar fold `x >= best ? x : best` in window
// order, so their results (NaN and signed zeros included) equal the general Swift loop's.
#include "CQKKernels.h"

#define QK_MAX(best, x) ((x) >= (best) ? (x) : (best))

// 2×2 stride-2 windows over lines of exactly twice the output width and an even number of input lines: the
// vertical maxima of line pairs go to `vertical`, laid end to end, so that the horizontal step is one stride-2 run.
#define QK_MAXPOOL_2X2(name, T)                                                                   \
    void name(const T *x, long line_pairs, long out_w, T *vertical, T *y) {                      \
        const long in_w = 2 * out_w;                                                             \
        for (long r = 0; r < line_pairs; r++) {                                                  \
            const T *top = x + 2 * r * in_w, *bottom = top + in_w;                               \
            T *v = vertical + r * in_w;                                                          \
            for (long w = 0; w < in_w; w++) v[w] = QK_MAX(top[w], bottom[w]);                    \
        }                                                                                        \
        const long n = line_pairs * out_w;                                                       \
        for (long i = 0; i < n; i++) y[i] = QK_MAX(vertical[2 * i], vertical[2 * i + 1]);        \
    }
QK_MAXPOOL_2X2(qk_maxpool_2x2_u8, uint8_t)
QK_MAXPOOL_2X2(qk_maxpool_2x2_s8, int8_t)

void qk_maxpool_2x2_f32(const float *x, long planes, long in_h, long in_w, long out_h, long out_w, float *y) {
    for (long plane = 0; plane < planes; plane++) {
        for (long zh = 0; zh < out_h; zh++) {
            const float *top = x + (plane * in_h + 2 * zh) * in_w, *bottom = top + in_w;
            float *out = y + (plane * out_h + zh) * out_w;
            for (long zw = 0; zw < out_w; zw++) {
                float best = top[2 * zw];
                best = QK_MAX(best, top[2 * zw + 1]);
                best = QK_MAX(best, bottom[2 * zw]);
                best = QK_MAX(best, bottom[2 * zw + 1]);
                out[zw] = best;
            }
        }
    }
}

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
