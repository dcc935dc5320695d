/// Reference integer GEMM, the definition of correct for the int8 kernels of the integer runtime:
///
///     C[i, j] = Σ_p (A[i, p] − aZero[i]) · (B[p, j] − bZero[j])        (int32, wrapping on overflow)
///
/// A is m×k (row stride `lda`), B is k×n (row stride `ldb`), C is m×n (row stride `ldc`), all row-major.
/// `aZeroPoints[i · aZeroStride]` is row i's zero point (stride 0: one for all rows); `bZeroPoints[j · bZeroStride]`
/// is column j's (stride 0: one for all columns). `A` and `B` are any of UInt8/Int8 (u8×s8, s8×s8, u8×u8, s8×u8),
/// or wider integers. Plain loops, no blocking: fast kernels must match it bit for bit.
public func int8GemmReference<A: FixedWidthInteger, B: FixedWidthInteger>(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<A>, lda: Int, aZeroPoints: UnsafePointer<Int32>, aZeroStride: Int,
    b: UnsafePointer<B>, ldb: Int, bZeroPoints: UnsafePointer<Int32>, bZeroStride: Int,
    c: UnsafeMutablePointer<Int32>, ldc: Int
) {
    for i in 0..<m {
        let za = aZeroPoints[i * aZeroStride]
        for j in 0..<n {
            let zb = bZeroPoints[j * bZeroStride]
            var acc: Int32 = 0
            for p in 0..<k {
                let x = Int32(truncatingIfNeeded: a[i * lda + p]) &- za
                let y = Int32(truncatingIfNeeded: b[p * ldb + j]) &- zb
                acc = acc &+ x &* y
            }
            c[i * ldc + j] = acc
        }
    }
}
