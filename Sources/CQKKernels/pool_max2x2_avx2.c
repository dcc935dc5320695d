// 2×2 stride-2 max pooling with AVX2 (see qk_maxpool2x2_* in CQKKernels.h). Same results as pool_max.c:
// floats fold `x >= best ? x : best` in the tap order top-left, top-right, bottom-left, bottom-right (an ordered
// compare, so a NaN after the first tap is skipped and equal values keep the later tap); integer max is
// order-free.
#include "CQKKernels.h"
#include <immintrin.h>

#define QK_ATTR __attribute__((target("avx2")))
#define QK_INLINE static inline __attribute__((always_inline)) QK_ATTR
#define QK_MAX(best, x) ((x) >= (best) ? (x) : (best))

// ---- fp32 ----

/// best = x >= best ? x : best on 8 lanes.
QK_INLINE __m256 qk_fold_ps(__m256 best, __m256 x) {
    return _mm256_blendv_ps(best, x, _mm256_cmp_ps(x, best, _CMP_GE_OQ));
}

/// Eight outputs from the 16 top and 16 bottom inputs t0‖t1, b0‖b1 (output k reads columns 2k, 2k + 1). The
/// shuffles split even and odd columns per 128-bit lane; the final qword permute restores output order.
QK_INLINE __m256 qk_fold8_ps(__m256 t0, __m256 t1, __m256 b0, __m256 b1) {
    __m256 best = _mm256_shuffle_ps(t0, t1, 0x88);
    best = qk_fold_ps(best, _mm256_shuffle_ps(t0, t1, 0xDD));
    best = qk_fold_ps(best, _mm256_shuffle_ps(b0, b1, 0x88));
    best = qk_fold_ps(best, _mm256_shuffle_ps(b0, b1, 0xDD));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), 0xD8));
}

/// One output line from input lines `top` and `top + in_w`: 8 outputs per step, then 4, then one at a time.
QK_INLINE void qk_line_ps(const float *top, long in_w, long out_w, float *y) {
    const float *bottom = top + in_w;
    long j = 0;
    for (; j + 8 <= out_w; j += 8) {
        const float *t = top + 2 * j, *b = bottom + 2 * j;
        _mm256_storeu_ps(y + j, qk_fold8_ps(_mm256_loadu_ps(t), _mm256_loadu_ps(t + 8), _mm256_loadu_ps(b),
                                            _mm256_loadu_ps(b + 8)));
    }
    if (j + 4 <= out_w) {
        __m256 t = _mm256_loadu_ps(top + 2 * j), b = _mm256_loadu_ps(bottom + 2 * j);
        _mm_storeu_ps(y + j, _mm256_castps256_ps128(qk_fold8_ps(t, t, b, b)));
        j += 4;
    }
    for (; j < out_w; j++) {
        float best = top[2 * j];
        best = QK_MAX(best, top[2 * j + 1]);
        best = QK_MAX(best, bottom[2 * j]);
        best = QK_MAX(best, bottom[2 * j + 1]);
        y[j] = best;
    }
}

/// Lines 4 wide packed end to end (8-float line pairs [top | bottom], 2 outputs each): 4 pairs per step. The
/// shuffles give [top evens of pairs a, b | bottom evens of a, b]; the lane permutes gather the tops of all four
/// pairs in one register and the bottoms in another, already in output order.
QK_INLINE __m256 qk_fold_w2_ps(const float *x) {
    __m256 p0 = _mm256_loadu_ps(x), p1 = _mm256_loadu_ps(x + 8), p2 = _mm256_loadu_ps(x + 16),
           p3 = _mm256_loadu_ps(x + 24);
    __m256 even01 = _mm256_shuffle_ps(p0, p1, 0x88), even23 = _mm256_shuffle_ps(p2, p3, 0x88);
    __m256 odd01 = _mm256_shuffle_ps(p0, p1, 0xDD), odd23 = _mm256_shuffle_ps(p2, p3, 0xDD);
    __m256 best = _mm256_permute2f128_ps(even01, even23, 0x20);
    best = qk_fold_ps(best, _mm256_permute2f128_ps(odd01, odd23, 0x20));
    best = qk_fold_ps(best, _mm256_permute2f128_ps(even01, even23, 0x31));
    return qk_fold_ps(best, _mm256_permute2f128_ps(odd01, odd23, 0x31));
}

QK_ATTR void qk_maxpool2x2_f32_avx2(const float *x, long planes, long in_h, long in_w, long out_h, long out_w,
                                    float *y) {
    if (in_w == 2 * out_w && in_h == 2 * out_h) {
        // Whole planes are a run of line pairs 2·in_w floats apart.
        const long pairs = planes * out_h;
        long r = 0;
        if (out_w == 4) {
            for (; r + 2 <= pairs; r += 2) {
                const float *p = x + 16 * r;
                _mm256_storeu_ps(y + 4 * r, qk_fold8_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 16),
                                                        _mm256_loadu_ps(p + 8), _mm256_loadu_ps(p + 24)));
            }
        } else if (out_w == 2) {
            for (; r + 4 <= pairs; r += 4) _mm256_storeu_ps(y + 2 * r, qk_fold_w2_ps(x + 8 * r));
        }
        for (; r < pairs; r++) qk_line_ps(x + 2 * in_w * r, in_w, out_w, y + out_w * r);
        return;
    }
    for (long plane = 0; plane < planes; plane++)
        for (long zh = 0; zh < out_h; zh++)
            qk_line_ps(x + (plane * in_h + 2 * zh) * in_w, in_w, out_w, y + (plane * out_h + zh) * out_w);
}

// ---- u8 / s8 ----
// Vertical max of the two lines, then the horizontal pair max lands in the even bytes (max of each 16-bit word's
// two bytes); a byte shuffle and a dword permute gather the even bytes in output order.

/// Within each 128-bit lane: the 8 even bytes to the low half (the high half is zeroed).
#define QK_EVEN_BYTES 0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1

#define QK_MAXPOOL2X2_BYTES(suffix, T, MAX256, MAX128)                                                          \
    /* One output line: 16 outputs per step, then 8, then one at a time. */                                   \
    QK_INLINE void qk_line_##suffix(const T *top, long in_w, long out_w, T *y) {                               \
        const T *bottom = top + in_w;                                                                          \
        const __m256i even = _mm256_setr_epi8(QK_EVEN_BYTES, QK_EVEN_BYTES);                                   \
        long j = 0;                                                                                            \
        for (; j + 16 <= out_w; j += 16) {                                                                     \
            __m256i m = MAX256(_mm256_loadu_si256((const __m256i *)(top + 2 * j)),                             \
                               _mm256_loadu_si256((const __m256i *)(bottom + 2 * j)));                         \
            m = _mm256_shuffle_epi8(MAX256(m, _mm256_srli_epi16(m, 8)), even);                                 \
            m = _mm256_permute4x64_epi64(m, 0x08);                                                             \
            _mm_storeu_si128((__m128i *)(y + j), _mm256_castsi256_si128(m));                                   \
        }                                                                                                      \
        if (j + 8 <= out_w) {                                                                                  \
            __m128i m = MAX128(_mm_loadu_si128((const __m128i *)(top + 2 * j)),                                \
                               _mm_loadu_si128((const __m128i *)(bottom + 2 * j)));                            \
            m = _mm_shuffle_epi8(MAX128(m, _mm_srli_epi16(m, 8)), _mm256_castsi256_si128(even));               \
            _mm_storel_epi64((__m128i *)(y + j), m);                                                           \
            j += 8;                                                                                            \
        }                                                                                                      \
        for (; j < out_w; j++) {                                                                               \
            T a = QK_MAX(top[2 * j], top[2 * j + 1]), b = QK_MAX(bottom[2 * j], bottom[2 * j + 1]);            \
            y[j] = QK_MAX(a, b);                                                                               \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    QK_ATTR void qk_maxpool2x2_##suffix##_avx2(const T *x, long planes, long in_h, long in_w, long out_h,      \
                                               long out_w, T *y) {                                             \
        if (in_w == 2 * out_w && in_h == 2 * out_h) {                                                          \
            const long pairs = planes * out_h;                                                                 \
            const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);                                   \
            long r = 0;                                                                                        \
            if (out_w == 4) {                                                                                  \
                /* 16-byte line pairs [top 8 | bottom 8]: 4 pairs per step; the qword unpacks give           \
                   [tops of pairs 0, 2 | 1, 3] and the bottoms alike. */                                       \
                const __m256i even = _mm256_setr_epi8(QK_EVEN_BYTES, QK_EVEN_BYTES);                           \
                for (; r + 4 <= pairs; r += 4) {                                                               \
                    __m256i v0 = _mm256_loadu_si256((const __m256i *)(x + 16 * r));                            \
                    __m256i v1 = _mm256_loadu_si256((const __m256i *)(x + 16 * r + 32));                       \
                    __m256i m = MAX256(_mm256_unpacklo_epi64(v0, v1), _mm256_unpackhi_epi64(v0, v1));          \
                    m = _mm256_shuffle_epi8(MAX256(m, _mm256_srli_epi16(m, 8)), even);                         \
                    m = _mm256_permutevar8x32_epi32(m, order);                                                 \
                    _mm_storeu_si128((__m128i *)(y + 4 * r), _mm256_castsi256_si128(m));                       \
                }                                                                                              \
            } else if (out_w == 2) {                                                                           \
                /* 8-byte line pairs [top 4 | bottom 4]: 8 pairs per step; the dword blends give the tops of   \
                   pairs 0, 4, 1, 5 | 2, 6, 3, 7 and the bottoms alike. */                                     \
                const __m256i even = _mm256_setr_epi8(0, 2, 8, 10, 4, 6, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1,   \
                                                      0, 2, 8, 10, 4, 6, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);  \
                for (; r + 8 <= pairs; r += 8) {                                                               \
                    __m256i v0 = _mm256_loadu_si256((const __m256i *)(x + 8 * r));                             \
                    __m256i v1 = _mm256_loadu_si256((const __m256i *)(x + 8 * r + 32));                        \
                    __m256i tops = _mm256_blend_epi32(v0, _mm256_slli_epi64(v1, 32), 0xAA);                    \
                    __m256i bottoms = _mm256_blend_epi32(_mm256_srli_epi64(v0, 32), v1, 0xAA);                 \
                    __m256i m = MAX256(tops, bottoms);                                                         \
                    m = _mm256_shuffle_epi8(MAX256(m, _mm256_srli_epi16(m, 8)), even);                         \
                    m = _mm256_permutevar8x32_epi32(m, order);                                                 \
                    _mm_storeu_si128((__m128i *)(y + 2 * r), _mm256_castsi256_si128(m));                       \
                }                                                                                              \
            }                                                                                                  \
            for (; r < pairs; r++) qk_line_##suffix(x + 2 * in_w * r, in_w, out_w, y + out_w * r);            \
            return;                                                                                            \
        }                                                                                                      \
        for (long plane = 0; plane < planes; plane++)                                                          \
            for (long zh = 0; zh < out_h; zh++)                                                                \
                qk_line_##suffix(x + (plane * in_h + 2 * zh) * in_w, in_w, out_w,                              \
                                 y + (plane * out_h + zh) * out_w);                                            \
    }

QK_MAXPOOL2X2_BYTES(u8, uint8_t, _mm256_max_epu8, _mm_max_epu8)
QK_MAXPOOL2X2_BYTES(s8, int8_t, _mm256_max_epi8, _mm_max_epi8)
