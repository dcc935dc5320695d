#ifndef QK_SGEMM_COMMON_H
#define QK_SGEMM_COMMON_H
/// Writes alpha * tile (an MR×NR row-major block) to the mr×nr corner of C, added to C when `accumulate`;
/// used for edge tiles.
static inline void qk_sgemm_store_partial(const float *tile, long tile_ld, float *c, long ldc,
                                          long mr, long nr, float alpha, int accumulate) {
    for (long i = 0; i < mr; i++) {
        for (long j = 0; j < nr; j++) {
            float value = alpha * tile[i * tile_ld + j];
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + value : value;
        }
    }
}

/// Row pointers of the A micro-panel: row i starts at a + i·row_stride; rows at or past `mr` repeat the last
/// valid row, so an edge panel never reads outside A (their results are discarded by the partial store).
#define QK_SGEMM_ROWS(rows, MR, a, row_stride, mr)                                                  \
    const float *rows[MR];                                                                          \
    for (int i_ = 0; i_ < (MR); i_++) (rows)[i_] = (a) + (i_ < (mr) ? i_ : (mr) - 1) * (row_stride)
#endif
