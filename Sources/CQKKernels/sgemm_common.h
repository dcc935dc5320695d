#ifndef QK_SGEMM_COMMON_H
#define QK_SGEMM_COMMON_H
/// Adds alpha * tile (an MR×NR row-major block) to the mr×nr corner of C; used for edge tiles.
static inline void qk_sgemm_add_partial(const float *tile, long tile_ld, float *c, long ldc,
                                        long mr, long nr, float alpha) {
    for (long i = 0; i < mr; i++) {
        for (long j = 0; j < nr; j++) {
            c[i * ldc + j] += alpha * tile[i * tile_ld + j];
        }
    }
}
#endif
