import Testing
@testable import QKKernels

/// Edge panels shorter than the register tile (m = 16 on the 12-row AVX-512 tile is 12 + 4 rows) run a shorter
/// tile. Each C element still gets the same multiply-adds in the same order, so its bits must equal those of the
/// same row computed inside a full-height tile; the plain-loop reference bounds the error of both.
@Suite struct GemmTileHeightTests {
    /// One micro-kernel call on arrays: A rows at `a + i·rowStride`, depth step `depthStride`; B one packed panel.
    static func tile(_ kernel: GemmMicroKernel, kc: Int, a: [Float], rowStride: Int, depthStride: Int, b: [Float],
                     c: [Float], ldc: Int, mr: Int, nr: Int, alpha: Float, accumulate: Bool) -> [Float] {
        var c = c
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    kernel.function(kc, ap.baseAddress, rowStride, depthStride, bp.baseAddress, cp.baseAddress, ldc,
                                    mr, nr, alpha, accumulate ? 1 : 0)
                }
            }
        }
        return c
    }

    /// Every tile height from 1 to MR, A in place and packed, partial widths, storing and accumulating. The sums
    /// must be those of the full-height tile bit for bit, and the epilogue the same for every tile (alpha·sum
    /// rounded, then added to C), so that a row's bytes never depend on its position in the batch. The
    /// plain-loop reference bounds the error.
    @Test(arguments: 0..<8)
    func shortTileMatchesFullTileBits(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 9100)
        for kernel in GemmMicroKernel.available {
            for rows in 1...kernel.mr {
                let kc = Int.random(in: 1...300, using: &rng)
                let nr = seed & 4 == 4 ? kernel.nr : Int.random(in: 1...kernel.nr, using: &rng)
                let packedA = seed & 1 == 1, accumulate = seed & 2 == 2
                let alpha: Float = [1, -0.5, 2, 0.3][seed % 4]
                // Packed A: element (i, p) at i + p·MR; in place: at i·lda + p with lda > kc.
                let lda = kc + 3
                let (rowStride, depthStride) = packedA ? (1, kernel.mr) : (lda, 1)
                let a = rng.floats(packedA ? kernel.mr * kc : kernel.mr * lda)
                let b = rng.floats(kc * kernel.nr), c = rng.floats(kernel.mr * kernel.nr)
                let got = Self.tile(kernel, kc: kc, a: a, rowStride: rowStride, depthStride: depthStride, b: b, c: c,
                                    ldc: kernel.nr, mr: rows, nr: nr, alpha: alpha, accumulate: accumulate)
                // The full-height tile's plain sums (alpha 1, C not read).
                let sums = Self.tile(kernel, kc: kc, a: a, rowStride: rowStride, depthStride: depthStride, b: b,
                                     c: c, ldc: kernel.nr, mr: kernel.mr, nr: kernel.nr, alpha: 1, accumulate: false)
                var expected = c
                for i in 0..<rows {
                    for j in 0..<nr {
                        let index = i * kernel.nr + j, sum = sums[index]
                        if !accumulate {
                            expected[index] = alpha * sum
                        } else {
                            let scaled = alpha * sum
                            expected[index] = c[index] + scaled
                        }
                    }
                }
                let label = "\(kernel) rows \(rows) nr \(nr) kc \(kc) packed \(packedA) accumulate \(accumulate)"
                let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(label): \(differing) elements differ in their bits")
                // op(A) as a plain rows×kc matrix and B as kc×NR, for the reference.
                let plainA = (0..<rows * kc).map { a[($0 / kc) * rowStride + ($0 % kc) * depthStride] }
                var reference = c
                gemmReference(transA: false, transB: false, m: rows, n: nr, k: kc, alpha: alpha, a: plainA, lda: kc,
                              b: b, ldb: kernel.nr, beta: accumulate ? 1 : 0, c: &reference, ldc: kernel.nr)
                #expect(maxRelativeError(got, reference) < 1e-4, "\(label)")
            }
        }
    }

    /// The encoder's batch-1 products (16 rows: 16×64·64×256, 16×256·256×64, 16×64·64×64) with packed B: each
    /// row equals the same row of a product over MR-rounded-up rows (there in full tiles) and matches the reference.
    @Test(arguments: [(256, 64), (64, 256), (64, 64), (40, 100)])
    func sixteenRowProductsMatchFullTiles(n: Int, k: Int) {
        var rng = SeededGenerator(seed: UInt64(n * 1000 + k))
        for kernel in GemmMicroKernel.available {
            let m = 16, tall = (m + kernel.mr - 1) / kernel.mr * kernel.mr
            let a = rng.floats(tall * k), b = rng.floats(k * n), bias = rng.floats(tall * n)
            let packed = b.withUnsafeBufferPointer {
                PackedGemmB(transposed: false, k: k, n: n, b: $0.baseAddress!, ldb: n, kernel: kernel)
            }
            func product(rows: Int) -> [Float] {
                var c = Array(bias[..<(rows * n)])
                a.withUnsafeBufferPointer { ap in
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(transA: false, m: rows, alpha: 1, a: ap.baseAddress!, lda: k, packedB: packed, beta: 1,
                             c: cp.baseAddress!, ldc: n, threads: 1)
                    }
                }
                return c
            }
            let short = product(rows: m), full = product(rows: tall)
            let differing = zip(short, full).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(kernel) 16×\(n)×\(k): \(differing) elements differ in their bits")
            var expected = Array(bias[..<(m * n)])
            gemmReference(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                          beta: 1, c: &expected, ldc: n)
            #expect(maxRelativeError(short, expected) < 1e-4, "\(kernel) 16×\(n)×\(k)")
        }
    }
}
