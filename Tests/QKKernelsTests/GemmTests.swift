import Testing
@testable import QKKernels

@Suite struct GemmTests {
    /// Runs the optimized GEMM on arrays (A, B stored with leading dimensions lda/ldb, C with ldc).
    static func run(_ kernel: GemmMicroKernel, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                    a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int,
                    threads: Int) -> [Float] {
        var c = c
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
                         b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc,
                         threads: threads, kernel: kernel)
                }
            }
        }
        return c
    }

    @Test func handComputed2x3x2() {
        // A = [[1, 2, 3], [4, 5, 6]], B = [[1, 0], [0, 1], [1, 1]]: A·B = [[4, 5], [10, 11]].
        // With alpha = 2, beta = 0.5 and C = [[2, 2], [2, 2]]: [[9, 11], [21, 23]].
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 0, 1, 1, 1]
        for kernel in GemmMicroKernel.available {
            let c = Self.run(kernel, transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 2, a: a, lda: 3,
                             b: b, ldb: 2, beta: 0.5, c: [2, 2, 2, 2], ldc: 2, threads: 1)
            #expect(c == [9, 11, 21, 23], "\(kernel)")
        }
        var reference: [Float] = [2, 2, 2, 2]
        gemmReference(transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 2, a: a, lda: 3, b: b, ldb: 2,
                      beta: 0.5, c: &reference, ldc: 2)
        #expect(reference == [9, 11, 21, 23])
    }

    @Test func betaZeroIgnoresNaNInC() {
        for kernel in GemmMicroKernel.available {
            let c = Self.run(kernel, transA: false, transB: false, m: 1, n: 1, k: 1, alpha: 1, a: [3], lda: 1,
                             b: [4], ldb: 1, beta: 0, c: [.nan], ldc: 1, threads: 1)
            #expect(c == [12], "\(kernel)")
        }
    }

    @Test func transposedOperandsAgreeWithHandComputed() {
        // Aᵀ stored as [[1, 4], [2, 5], [3, 6]] (3×2), Bᵀ stored as [[1, 0, 1], [0, 1, 1]] (2×3); same product as above.
        for kernel in GemmMicroKernel.available {
            let c = Self.run(kernel, transA: true, transB: true, m: 2, n: 2, k: 3, alpha: 1, a: [1, 4, 2, 5, 3, 6],
                             lda: 2, b: [1, 0, 1, 0, 1, 1], ldb: 3, beta: 0, c: [0, 0, 0, 0], ldc: 2, threads: 1)
            #expect(c == [4, 5, 10, 11], "\(kernel)")
        }
    }

    /// A random GEMM problem for `seed`: shapes around and across the register tiles and cache blocks (every
    /// sixth seed has k > kc and m > mc), the transposes and beta from the seed's bits, padded leading
    /// dimensions, and the reference result.
    struct RandomCase {
        let m: Int, n: Int, k: Int, transA: Bool, transB: Bool, lda: Int, ldb: Int, ldc: Int
        let a: [Float], b: [Float], c: [Float], alpha: Float, beta: Float, expected: [Float]

        init(seed: Int, salt: UInt64) {
            var rng = SeededGenerator(seed: UInt64(seed) &+ salt)
            let big = seed % 6 == 0
            m = big ? Int.random(in: 130...200, using: &rng) : Int.random(in: 1...40, using: &rng)
            n = big ? Int.random(in: 60...140, using: &rng) : Int.random(in: 1...70, using: &rng)
            k = big ? Int.random(in: 257...300, using: &rng) : Int.random(in: 1...50, using: &rng)
            transA = seed & 1 == 1
            transB = seed & 2 == 2
            let (aRows, aCols) = transA ? (k, m) : (m, k)
            let (bRows, bCols) = transB ? (n, k) : (k, n)
            (lda, ldb, ldc) = (aCols + seed % 3, bCols + seed % 2, n + seed % 4)
            (a, b, c) = (rng.floats(aRows * lda), rng.floats(bRows * ldb), rng.floats(m * ldc))
            alpha = [1, 0.5, -2][seed % 3]
            beta = [0, 1, 0.25, -1][seed % 4]
            var expected = c
            gemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                          ldb: ldb, beta: beta, c: &expected, ldc: ldc)
            self.expected = expected
        }
    }

    /// Random shapes around and across the register tiles and cache blocks (k > kc, m > mc), all transposes,
    /// padded leading dimensions, 1 and 2 threads: every kernel this CPU supports against the reference.
    @Test(arguments: 0..<24)
    func randomShapesMatchReference(seed: Int) {
        let t = RandomCase(seed: seed, salt: 1000)
        let (m, n, k, transA, transB, lda, ldb, ldc) = (t.m, t.n, t.k, t.transA, t.transB, t.lda, t.ldb, t.ldc)
        let (a, b, c, alpha, beta, expected) = (t.a, t.b, t.c, t.alpha, t.beta, t.expected)
        for kernel in GemmMicroKernel.available {
            for threads in [1, 2] {
                let got = Self.run(kernel, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a,
                                   lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
                #expect(maxRelativeError(got, expected) < 1e-4, "\(kernel) threads \(threads) \(m)×\(n)×\(k)")
            }
        }
    }

    /// Matrix-vector products (m = 1) for every transpose, large enough to run on 2 threads.
    @Test(arguments: 0..<4)
    func rowVectorMatchesReference(variant: Int) {
        var rng = SeededGenerator(seed: UInt64(variant) &+ 4242)
        let transA = variant & 1 == 1, transB = variant & 2 == 2
        let n = 700, k = 513, lda = transA ? 3 : k
        let a = rng.floats(transA ? k * lda : k), b = rng.floats(k * n), c = rng.floats(n)
        var expected = c
        gemmReference(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b,
                      ldb: transB ? k : n, beta: 2, c: &expected, ldc: n)
        for threads in [1, 2] {
            let got = Self.run(.best, transA: transA, transB: transB, m: 1, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b,
                               ldb: transB ? k : n, beta: 2, c: c, ldc: n, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "transA \(transA) transB \(transB) threads \(threads)")
        }
    }

    @Test func detectsTheGenericKernelAlways() {
        #expect(GemmMicroKernel.available.last?.name == "generic")
        #expect(GemmMicroKernel.best.name == GemmMicroKernel.available[0].name)
    }
}
