import Testing
@testable import QKKernels

/// The GEMM with op(B) packed ahead of time (``PackedGemmB``) and the kernel choice by width, against the
/// plain-loop reference.
@Suite struct GemmPackedTests {
    /// Random shapes including odd sizes and depths past one kc block, both transposes of A and B, every beta
    /// case, padded leading dimensions, 1 and 2 threads, every kernel this CPU supports.
    @Test(arguments: 0..<20)
    func packedBMatchesReference(seed: Int) {
        let t = GemmTests.RandomCase(seed: seed, salt: 7000)
        let (m, n, k, transA, transB, lda, ldb, ldc) = (t.m, t.n, t.k, t.transA, t.transB, t.lda, t.ldb, t.ldc)
        let (a, b, c, alpha, beta, expected) = (t.a, t.b, t.c, t.alpha, t.beta, t.expected)
        for kernel in GemmMicroKernel.available {
            let packed = b.withUnsafeBufferPointer {
                PackedGemmB(transposed: transB, k: k, n: n, b: $0.baseAddress!, ldb: ldb, kernel: kernel)
            }
            for threads in [1, 2] {
                var got = c
                a.withUnsafeBufferPointer { ap in
                    got.withUnsafeMutableBufferPointer { cp in
                        gemm(transA: transA, m: m, alpha: alpha, a: ap.baseAddress!, lda: lda, packedB: packed,
                             beta: beta, c: cp.baseAddress!, ldc: ldc, threads: threads)
                    }
                }
                #expect(maxRelativeError(got, expected) < 1e-4, "\(kernel) threads \(threads) \(m)×\(n)×\(k)")
                // Entries between rows of C (ldc > n) are never written.
                for i in 0..<m {
                    for j in n..<ldc { #expect(got[i * ldc + j] == c[i * ldc + j]) }
                }
            }
        }
    }

    /// beta = 0 stores the product without reading C, so NaN in C does not survive (packed and plain B).
    @Test func betaZeroOverwritesNaN() {
        let a: [Float] = (0..<(13 * 5)).map { Float($0 % 7) - 3 }, b: [Float] = (0..<(5 * 33)).map { Float($0 % 5) }
        var expected = [Float](repeating: 0, count: 13 * 33)
        gemmReference(transA: false, transB: false, m: 13, n: 33, k: 5, alpha: 1, a: a, lda: 5, b: b, ldb: 33,
                      beta: 0, c: &expected, ldc: 33)
        let packed = b.withUnsafeBufferPointer { PackedGemmB(transposed: false, k: 5, n: 33, b: $0.baseAddress!, ldb: 33) }
        var viaPacked = [Float](repeating: .nan, count: 13 * 33), viaPlain = viaPacked
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                gemm(transA: false, m: 13, alpha: 1, a: ap.baseAddress!, lda: 5, packedB: packed, beta: 0,
                     c: &viaPacked, ldc: 33)
                gemm(transA: false, transB: false, m: 13, n: 33, k: 5, alpha: 1, a: ap.baseAddress!, lda: 5,
                     b: bp.baseAddress!, ldb: 33, beta: 0, c: &viaPlain, ldc: 33)
            }
        }
        #expect(viaPacked == expected)
        #expect(viaPlain == expected)
    }

    @Test func narrowProductsUseSixteenWideTile() {
        let wide = GemmMicroKernel.best(columns: 64), narrow = GemmMicroKernel.best(columns: 16)
        #expect(wide.name == GemmMicroKernel.best.name)
        #expect(narrow.nr <= 16 || GemmMicroKernel.available.allSatisfy { $0.nr > 16 })
    }
}
