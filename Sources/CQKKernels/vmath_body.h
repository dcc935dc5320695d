/// The vector math algorithms, written once over a small SIMD vocabulary that each vmath_<isa>.c defines
/// before including this file:
///   V, VI (float / int32 vectors of QK_W lanes), vset1, vseti, vload, vstore, vload_partial(p, k, fill),
///   vstore_partial(p, k, v), vadd, vsub, vmul, vdiv, vfma (a·b + c), vfnma (c − a·b), vabs, vcopysign,
///   vclamp (NaN passes through), vzero_below(r, x, lo) (0 where x < lo, else r), vround (to nearest even),
///   vcvt (integral float → int32), vexp2i (2ⁿ from an int32 n in [−126, 127]), vsrai1 (n >> 1), visub, vhsum, vhmax, and QK_NAME(base) for the exported names.
/// Not a public header: only the vmath_*.c files include it.

/// eˣ by Cody–Waite range reduction x = n·ln2 + r (|r| ≤ ln2/2, n = round(x·log₂e)) and a degree-7
/// polynomial for eʳ on that interval (Cephes expf coefficients: 1 + r + r²·P(r)); 2ⁿ is split into
/// 2^(n>>1)·2^(n−(n>>1)) so n = 128 (results between 2¹²⁷·√2 and FLT_MAX) stays finite and x > ln FLT_MAX
/// gives +inf. Results below FLT_MIN (x < ln FLT_MIN ≈ −87.3365) are flushed to +0: x is clamped to
/// [−87.3365, 89] before scaling and the flushed lanes are zeroed afterwards, because producing a subnormal
/// or underflowing product costs a microcode assist of ~100 cycles per lane (masked attention scores hit
/// this on every padded position). −inf gives 0, NaN propagates.
static inline V qk_exp_v(V x) {
    V xc = vclamp(x, -87.3365402f, 89.0f);
    V n = vround(vmul(xc, vset1(1.44269504088896341f)));
    V r = vfnma(n, vset1(0.693359375f), xc);
    r = vfnma(n, vset1(-2.12194440e-4f), r);
    V p = vset1(1.9875691500e-4f);
    p = vfma(p, r, vset1(1.3981999507e-3f));
    p = vfma(p, r, vset1(8.3334519073e-3f));
    p = vfma(p, r, vset1(4.1665795894e-2f));
    p = vfma(p, r, vset1(1.6666665459e-1f));
    p = vfma(p, r, vset1(5.0000001201e-1f));
    V e = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
    VI ni = vcvt(n);
    VI half = vsrai1(ni);
    return vzero_below(vmul(vmul(e, vexp2i(half)), vexp2i(visub(ni, half))), x, -87.3365402f);
}

/// erf(x) = sign(x)·a·P(a²)/Q(a²) with a = min(|x|, 3.92) (erf(3.92) rounds to 1 in float32).
/// P (degree 6) and Q (degree 4, Q(0) = 1) were fitted for this project by iteratively reweighted linear least
/// squares on Chebyshev nodes of [0, 3.92]; the fit's error is 5e-8, float32 evaluation adds about 3e-7.
static inline V qk_erf_v(V x) {
    V a = vclamp(vabs(x), 0.0f, 3.92f);
    V z = vmul(a, a);
    V p = vset1(1.991585030e-08f);
    p = vfma(p, z, vset1(-1.975820851e-06f));
    p = vfma(p, z, vset1(1.454267185e-04f));
    p = vfma(p, z, vset1(3.837581258e-03f));
    p = vfma(p, z, vset1(5.098430812e-02f));
    p = vfma(p, z, vset1(2.030304223e-01f));
    p = vfma(p, z, vset1(1.128378987e+00f));
    V q = vset1(9.901927551e-04f);
    q = vfma(q, z, vset1(1.462113298e-02f));
    q = vfma(q, z, vset1(1.162840873e-01f));
    q = vfma(q, z, vset1(5.132611394e-01f));
    q = vfma(q, z, vset1(1.0f));
    return vcopysign(vdiv(vmul(a, p), q), x);
}

/// tanh(x) = sign(x)·a·P(a²)/Q(a²) with a = min(|x|, 9) (tanh(9) rounds to 1 in float32); P and Q (degree 6
/// each, Q(0) = 1) fitted like erf's on [0, 9]; fit error 1.2e-8, float32 evaluation about 4e-7.
static inline V qk_tanh_v(V x) {
    V a = vclamp(vabs(x), 0.0f, 9.0f);
    V z = vmul(a, a);
    V p = vset1(8.399182461e-10f);
    p = vfma(p, z, vset1(1.332427701e-06f));
    p = vfma(p, z, vset1(2.253897401e-04f));
    p = vfma(p, z, vset1(7.947665639e-03f));
    p = vfma(p, z, vset1(3.142457083e-02f));
    p = vfma(p, z, vset1(-1.588741392e-01f));
    p = vfma(p, z, vset1(9.999999404e-01f));
    V q = vset1(4.971125378e-08f);
    q = vfma(q, z, vset1(2.132872032e-05f));
    q = vfma(q, z, vset1(1.628528466e-03f));
    q = vfma(q, z, vset1(2.406913042e-02f));
    q = vfma(q, z, vset1(-4.375522584e-02f));
    q = vfma(q, z, vset1(1.744588912e-01f));
    q = vfma(q, z, vset1(1.0f));
    return vcopysign(vdiv(vmul(a, p), q), x);
}

/// 1 / (1 + e^−x): e^−x overflows to +inf for x < −88.7, giving 0; NaN propagates.
static inline V qk_sigmoid_v(V x) {
    V one = vset1(1.0f);
    return vdiv(one, vadd(one, qk_exp_v(vsub(vset1(0.0f), x))));
}

/// x·(1 + erf(x/√2))/2.
static inline V qk_gelu_v(V x) {
    V e = qk_erf_v(vmul(x, vset1(0.70710678118654752f)));
    return vmul(vmul(x, vset1(0.5f)), vadd(e, vset1(1.0f)));
}

#define QK_MAP_BODY(fn)                                                                                 \
    long i = 0;                                                                                         \
    for (; i + QK_W <= n; i += QK_W) vstore(y + i, fn(vload(x + i)));                                   \
    if (i < n) vstore_partial(y + i, n - i, fn(vload_partial(x + i, n - i, 0.0f)));

void QK_NAME(qk_vexp_f32)(long n, const float *x, float *y) { QK_MAP_BODY(qk_exp_v) }
void QK_NAME(qk_verf_f32)(long n, const float *x, float *y) { QK_MAP_BODY(qk_erf_v) }
void QK_NAME(qk_vtanh_f32)(long n, const float *x, float *y) { QK_MAP_BODY(qk_tanh_v) }
void QK_NAME(qk_vsigmoid_f32)(long n, const float *x, float *y) { QK_MAP_BODY(qk_sigmoid_v) }
void QK_NAME(qk_vgelu_f32)(long n, const float *x, float *y) { QK_MAP_BODY(qk_gelu_v) }

/// The Gelu chain as exported graphs write it, node by node: u = erf(x/d) + o, then y = (x·s)·u, or
/// y = (x·u)·s when `scale_last`. Each step is the IEEE-rounded operation (and erf the same qk_erf_v) that the
/// separate Div, Erf, Add and Mul nodes compute, so the result has the same bits as running them one by one.
static inline V qk_gelu_chain_v(V x, V d, V o, V s, long scale_last) {
    V u = vadd(qk_erf_v(vdiv(x, d)), o);
    return scale_last ? vmul(vmul(x, u), s) : vmul(vmul(x, s), u);
}

void QK_NAME(qk_vgelu_chain_f32)(long n, const float *x, float divisor, float offset, float scale, long scale_last,
                                 float *y) {
    V d = vset1(divisor), o = vset1(offset), s = vset1(scale);
    long i = 0;
    for (; i + QK_W <= n; i += QK_W) vstore(y + i, qk_gelu_chain_v(vload(x + i), d, o, s, scale_last));
    if (i < n) vstore_partial(y + i, n - i, qk_gelu_chain_v(vload_partial(x + i, n - i, 0.0f), d, o, s, scale_last));
}

float QK_NAME(qk_vmax_f32)(long n, const float *x) {
    V m = vset1(-__builtin_inff());
    long i = 0;
    for (; i + QK_W <= n; i += QK_W) m = vmax(m, vload(x + i));
    if (i < n) m = vmax(m, vload_partial(x + i, n - i, -__builtin_inff()));
    return vhmax(m);
}

float QK_NAME(qk_vexp_shifted_sum_f32)(long n, const float *x, float shift, float *y) {
    V s = vset1(shift), sum = vset1(0.0f);
    long i = 0;
    for (; i + QK_W <= n; i += QK_W) {
        V e = qk_exp_v(vsub(vload(x + i), s));
        vstore(y + i, e);
        sum = vadd(sum, e);
    }
    if (i < n) {
        // Lanes past the end load −inf, whose exponential is 0, so they add nothing to the sum.
        V e = qk_exp_v(vsub(vload_partial(x + i, n - i, -__builtin_inff()), s));
        vstore_partial(y + i, n - i, e);
        sum = vadd(sum, e);
    }
    return vhsum(sum);
}

void QK_NAME(qk_vscale_f32)(long n, float *y, float scale) {
    V s = vset1(scale);
    long i = 0;
    for (; i + QK_W <= n; i += QK_W) vstore(y + i, vmul(vload(y + i), s));
    if (i < n) vstore_partial(y + i, n - i, vmul(vload_partial(y + i, n - i, 0.0f), s));
}

/// One binary-op loop: `x` and `z` are a's and b's lanes (a loaded vector, or the broadcast scalar when the
/// stride is 0); the stride tests are loop-invariant, so the compiler unswitches them.
#define QK_BINARY_LOOP(EXPR)                                                                         \
    for (; i + QK_W <= n; i += QK_W) {                                                               \
        V x = sa ? vload(a + i) : va, z = sb ? vload(b + i) : vb;                                    \
        vstore(y + i, EXPR);                                                                         \
    }                                                                                                \
    if (i < n) {                                                                                     \
        V x = sa ? vload_partial(a + i, n - i, 1.0f) : va, z = sb ? vload_partial(b + i, n - i, 1.0f) : vb; \
        vstore_partial(y + i, n - i, EXPR);                                                          \
    }

void QK_NAME(qk_vbinary_f32)(long op, long n, const float *a, long sa, const float *b, long sb, float *y) {
    V va = vset1(a[0]), vb = vset1(b[0]);
    long i = 0;
    switch (op) {
    case 0: QK_BINARY_LOOP(vadd(x, z)); break;
    case 1: QK_BINARY_LOOP(vsub(x, z)); break;
    case 2: QK_BINARY_LOOP(vmul(x, z)); break;
    default: QK_BINARY_LOOP(vdiv(x, z)); break;
    }
}
#undef QK_BINARY_LOOP
