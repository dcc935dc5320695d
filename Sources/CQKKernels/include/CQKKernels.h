#ifndef CQKKERNELS_H
#define CQKKERNELS_H
/// Hot inner loops in C, one function per ISA variant, chosen at run time (see cpu_features).
/// Everything around the loops (packing, tiling, threading) stays in Swift.

/// CPU features detected once at run time.
typedef struct {
    int avx2;
    int fma;
    int avx512f;
    int avx512bw;
    int avx512vnni;
    int avxvnni;
} qk_cpu_features;

/// The features of the CPU this process runs on.
qk_cpu_features qk_detect_cpu_features(void);
#endif
