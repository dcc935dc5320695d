// IEEE binary16 <-> binary32 conversion of whole arrays: F16C (8 lanes, round to nearest even) when the CPU has
// it, else the bit-level loops below, which give the same bits (NaN payloads truncated or widened, quiet bit
// kept as the hardware does for quiet NaNs).
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "CQKKernels.h"

static float half_bits_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal: value = mantissa · 2^-24, normalised
        int shift = 0;
        while ((mantissa & 0x400) == 0) { mantissa <<= 1; shift++; }
        bits = sign | ((uint32_t)(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t float_to_half_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffff;
    if (x > 0x7f800000) return sign | 0x7e00 | (uint16_t)((x >> 13) & 0x3ff);  // NaN, quiet
    if (x >= 0x477ff000) return sign | 0x7c00;  // ≥ 65520 rounds to infinity
    if (x >= 0x38800000) {  // normal half: rebias the exponent, round the 13 dropped bits to nearest even
        uint32_t h = (x - 0x38000000) >> 13, rest = x & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
        return sign | (uint16_t)h;
    }
    uint32_t exponent = x >> 23;
    if (exponent < 102) return sign;  // below 2^-25: rounds to zero
    // Subnormal half: round(mantissa · 2^(exponent - 126)) to nearest even, in units of 2^-24.
    uint32_t mantissa = (x & 0x7fffff) | 0x800000, shift = 126 - exponent;
    uint32_t h = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) h++;
    return sign | (uint16_t)h;
}

void qk_half_to_float_portable(const uint16_t *src, float *dst, long count) {
    for (long i = 0; i < count; i++) dst[i] = half_bits_to_float(src[i]);
}

void qk_float_to_half_portable(const float *src, uint16_t *dst, long count) {
    for (long i = 0; i < count; i++) dst[i] = float_to_half_bits(src[i]);
}

__attribute__((target("avx,f16c")))
static void half_to_float_f16c(const uint16_t *src, float *dst, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < count; i++) dst[i] = half_bits_to_float(src[i]);
}

__attribute__((target("avx,f16c")))
static void float_to_half_f16c(const float *src, uint16_t *dst, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < count; i++) dst[i] = float_to_half_bits(src[i]);
}

int qk_has_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
}

void qk_half_to_float(const uint16_t *src, float *dst, long count) {
    if (qk_has_f16c()) half_to_float_f16c(src, dst, count); else qk_half_to_float_portable(src, dst, count);
}

void qk_float_to_half(const float *src, uint16_t *dst, long count) {
    if (qk_has_f16c()) float_to_half_f16c(src, dst, count); else qk_float_to_half_portable(src, dst, count);
}
