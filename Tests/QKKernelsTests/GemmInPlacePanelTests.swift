import QKTensor
import Testing
@testable import QKKernels

/// A B of exactly NR contiguous columns is read in place as one packed panel; the bits equal the packing path
/// (the same values stored with a wider row stride), for every kernel, depths beyond one kc block and 1–2 threads.
@Suite struct GemmInPlacePanelTests {
    @Test(arguments: [(16, 16), (3, 16), (100, 40), (64, 300)])
    func inPlacePanelEqualsPackedCopy(m: Int, k: Int) {
        var rng = SplitMix64(seed: UInt64(m * 7 + k))
        for kernel in GemmMicroKernel.available {
            let n = kernel.nr
            let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<k * n).map { _ in Float.random(in: -1...1, using: &rng) }
            // The same B with a row stride of n + 3: packed into panels as before.
            var wide = [Float](repeating: .nan, count: k * (n + 3))
            for p in 0..<k { for j in 0..<n { wide[p * (n + 3) + j] = b[p * n + j] } }
            for threads in [1, 2] {
                var inPlace = [Float](repeating: 0, count: m * n), packed = inPlace
                gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0,
                     c: &inPlace, ldc: n, threads: threads, kernel: kernel)
                gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: wide, ldb: n + 3,
                     beta: 0, c: &packed, ldc: n, threads: threads, kernel: kernel)
                #expect(inPlace.map(\.bitPattern) == packed.map(\.bitPattern), "\(kernel) threads \(threads)")
                let exact = (0..<k).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1 * n]) }
                #expect(abs(Double(inPlace[0]) - exact) <= 1e-5 * Double(k))
            }
        }
    }
}
