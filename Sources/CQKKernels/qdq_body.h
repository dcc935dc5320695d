/// The loops of a SIMD QuantizeLinear / DequantizeLinear variant around its whole-block kernels; included by
/// qdq_avx2.c and qdq_avx512.c after they define QK_NAME(base), QK_ATTR (the target attribute), QK_INLINE, BLOCK
/// (elements per block) and the block kernels qk_quantize_block_run, qk_quantize_block_row and
/// qk_dequantize_block. The last partial block goes through zero-padded buffers (qk_qdq_tail).

QK_ATTR void QK_NAME(qk_quantize_run)(long n, const float *x, float scale, int32_t zero_point, int32_t qmin,
                                      int32_t qmax, long width, void *y) {
    long i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        qk_quantize_block_run(x + i, scale, zero_point, qmin, qmax, width, (uint8_t *)y + i * width);
    if (i == n) return;
    qk_qdq_tail t;
    qk_qdq_tail_fill(&t, n - i, x + i, NULL, 0, NULL, NULL);
    qk_quantize_block_run(t.x, scale, zero_point, qmin, qmax, width, t.q);
    memcpy((uint8_t *)y + i * width, t.q, (size_t)((n - i) * width));
}

QK_ATTR void QK_NAME(qk_quantize_row)(long n, const float *x, const float *scale, const int32_t *zero_point,
                                      int32_t qmin, int32_t qmax, long width, void *y) {
    long i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        qk_quantize_block_row(x + i, scale + i, zero_point + i, qmin, qmax, width, (uint8_t *)y + i * width);
    if (i == n) return;
    qk_qdq_tail t;
    qk_qdq_tail_fill(&t, n - i, x + i, NULL, 0, scale + i, zero_point + i);
    qk_quantize_block_row(t.x, t.scale, t.zero, qmin, qmax, width, t.q);
    memcpy((uint8_t *)y + i * width, t.q, (size_t)((n - i) * width));
}

/// The dequantize loop; `type` is a constant after inlining (see QK_DEQUANTIZE_SWITCH), so each copy has a
/// fixed load. `per_element` reads scale and z as arrays, else their element 0 applies to every x.
QK_INLINE void qk_dequantize_loop(long n, const void *x, qk_qdq_type type, const float *scale, const int32_t *z,
                                  int per_element, float *y) {
    long i = 0, size = qk_qdq_size(type);
    for (; i + BLOCK <= n; i += BLOCK)
        qk_dequantize_block((const uint8_t *)x + i * size, type, per_element ? scale + i : scale,
                            per_element ? z + i : z, per_element, y + i);
    if (i == n) return;
    qk_qdq_tail t;
    qk_qdq_tail_fill(&t, n - i, NULL, (const uint8_t *)x + i * size, size, per_element ? scale + i : NULL,
                     per_element ? z + i : NULL);
    qk_dequantize_block(t.xq, type, per_element ? t.scale : scale, per_element ? t.zero : z, per_element, t.y);
    memcpy(y + i, t.y, (size_t)(n - i) * sizeof(float));
}

#define QK_DEQUANTIZE_SWITCH(n, x, type, scale, z, per_element, y)                                               \
    switch (type) {                                                                                              \
    case qk_qdq_u8: qk_dequantize_loop(n, x, qk_qdq_u8, scale, z, per_element, y); break;                        \
    case qk_qdq_s8: qk_dequantize_loop(n, x, qk_qdq_s8, scale, z, per_element, y); break;                        \
    case qk_qdq_u16: qk_dequantize_loop(n, x, qk_qdq_u16, scale, z, per_element, y); break;                      \
    case qk_qdq_s16: qk_dequantize_loop(n, x, qk_qdq_s16, scale, z, per_element, y); break;                      \
    default: qk_dequantize_loop(n, x, qk_qdq_s32, scale, z, per_element, y); break;                              \
    }

QK_ATTR void QK_NAME(qk_dequantize_run)(long n, const void *x, qk_qdq_type type, float scale, int32_t zero_point,
                                        float *y) {
    QK_DEQUANTIZE_SWITCH(n, x, type, &scale, &zero_point, 0, y)
}

QK_ATTR void QK_NAME(qk_dequantize_row)(long n, const void *x, qk_qdq_type type, const float *scale,
                                        const int32_t *zero_point, float *y) {
    QK_DEQUANTIZE_SWITCH(n, x, type, scale, zero_point, 1, y)
}
