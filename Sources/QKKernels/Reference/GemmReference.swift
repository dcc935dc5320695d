/// Reference single-precision GEMM, the definition of correct for ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:kernel:)``:
///
///     C[i, j] ← alpha · Σ_p op(A)[i, p] · op(B)[p, j] + beta · C[i, j]
///
/// Plain loops; the sum is accumulated in Double and rounded once. C is not read when beta is 0.
public func gemmReference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                          a: [Float], lda: Int, b: [Float], ldb: Int,
                          beta: Float, c: inout [Float], ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let x = transA ? a[p * lda + i] : a[i * lda + p]
                let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(x) * Double(y)
            }
            let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * sum + prior)
        }
    }
}
