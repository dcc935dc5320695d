#include "CPeakProbe.h"

long qkp_dependent_adds(long iterations) {
    long x = 0;
#if defined(__x86_64__)
    __asm__ volatile(
        "1:\n"
        "add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n"
        "add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n"
        "add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n"
        "add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n"
        "dec %1\n jnz 1b\n"
        : "+r"(x), "+r"(iterations) : : "cc");
#endif
    return x;
}

void qkp_vpdpbusd_zmm(long iterations) {
#if defined(__x86_64__)
    __asm__ volatile(
        "vpxord %%zmm0, %%zmm0, %%zmm0\n vpxord %%zmm1, %%zmm1, %%zmm1\n"
        "1:\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm2\n vpdpbusd %%zmm0, %%zmm1, %%zmm3\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm4\n vpdpbusd %%zmm0, %%zmm1, %%zmm5\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm6\n vpdpbusd %%zmm0, %%zmm1, %%zmm7\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm8\n vpdpbusd %%zmm0, %%zmm1, %%zmm9\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm10\n vpdpbusd %%zmm0, %%zmm1, %%zmm11\n"
        "vpdpbusd %%zmm0, %%zmm1, %%zmm12\n vpdpbusd %%zmm0, %%zmm1, %%zmm13\n"
        "dec %0\n jnz 1b\n vzeroupper\n"
        : "+r"(iterations) : : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13");
#else
    (void)iterations;
#endif
}

void qkp_vpmaddubsw_ymm(long iterations) {
#if defined(__x86_64__)
    __asm__ volatile(
        "vpxor %%ymm0, %%ymm0, %%ymm0\n vpxor %%ymm1, %%ymm1, %%ymm1\n vpxor %%ymm15, %%ymm15, %%ymm15\n"
        "1:\n"
        "vpmaddubsw %%ymm0, %%ymm1, %%ymm2\n vpmaddubsw %%ymm0, %%ymm1, %%ymm3\n vpmaddubsw %%ymm0, %%ymm1, %%ymm4\n"
        "vpmaddubsw %%ymm0, %%ymm1, %%ymm5\n vpmaddubsw %%ymm0, %%ymm1, %%ymm6\n vpmaddubsw %%ymm0, %%ymm1, %%ymm7\n"
        "vpmaddwd %%ymm15, %%ymm2, %%ymm2\n vpmaddwd %%ymm15, %%ymm3, %%ymm3\n vpmaddwd %%ymm15, %%ymm4, %%ymm4\n"
        "vpmaddwd %%ymm15, %%ymm5, %%ymm5\n vpmaddwd %%ymm15, %%ymm6, %%ymm6\n vpmaddwd %%ymm15, %%ymm7, %%ymm7\n"
        "vpaddd %%ymm2, %%ymm8, %%ymm8\n vpaddd %%ymm3, %%ymm9, %%ymm9\n vpaddd %%ymm4, %%ymm10, %%ymm10\n"
        "vpaddd %%ymm5, %%ymm11, %%ymm11\n vpaddd %%ymm6, %%ymm12, %%ymm12\n vpaddd %%ymm7, %%ymm13, %%ymm13\n"
        "dec %0\n jnz 1b\n vzeroupper\n"
        : "+r"(iterations) : : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm15");
#else
    (void)iterations;
#endif
}
