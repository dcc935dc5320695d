#ifndef CPEAKPROBE_H
#define CPEAKPROBE_H
/// Micro-loops that measure this CPU's clock and its int8 multiply-accumulate peak (x86-64 only; each returns
/// immediately with 0 elsewhere). Time them and divide.

/// Runs `iterations` × 16 dependent 1-cycle integer adds (so ≈ 16 · iterations cycles).
long qkp_dependent_adds(long iterations);
/// Runs `iterations` × 12 independent zmm vpdpbusd (each 64 u8·s8 multiply-adds). Needs AVX-512 VNNI.
void qkp_vpdpbusd_zmm(long iterations);
/// Runs `iterations` × 6 independent ymm vpmaddubsw → vpmaddwd → vpaddd chains (each 32 u8·s8 multiply-adds).
void qkp_vpmaddubsw_ymm(long iterations);
#endif
