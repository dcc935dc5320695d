import QKTensor
import Testing
@testable import QKKernels

/// ``gemm(transA:m:alpha:a:lda:packedB:bias:c:ldc:threads:)`` sets C's tiles to the bias inside the GEMM; the bits
/// equal filling every row of C with the bias and running the packed GEMM with beta = 1 (the MatMulAdd path it
/// replaced), for edge tiles, depths beyond one kc block, 1 and 2 threads, and C's stale contents are ignored.
@Suite struct GemmBiasTests {
    @Test(arguments: [(1, 5, 3), (16, 64, 64), (13, 33, 7), (512, 64, 256), (37, 256, 300), (100, 17, 64)])
    func biasInTilesEqualsPrefilledC(m: Int, n: Int, k: Int) {
        var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
        func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &rng) } }
        let a = floats(m * k), b = floats(k * n), bias = floats(n)
        for kernel in GemmMicroKernel.available {
            let packed = PackedGemmB(transposed: false, k: k, n: n, b: b, ldb: n, kernel: kernel)
            for threads in [1, 2] {
                var fused = [Float](repeating: .nan, count: m * n)  // stale contents must not be read
                var reference = (0..<m).flatMap { _ in bias }
                gemm(transA: false, m: m, alpha: 1, a: a, lda: k, packedB: packed, bias: bias, c: &fused, ldc: n,
                     threads: threads)
                gemm(transA: false, m: m, alpha: 1, a: a, lda: k, packedB: packed, beta: 1, c: &reference, ldc: n,
                     threads: threads)
                #expect(fused.map(\.bitPattern) == reference.map(\.bitPattern), "\(kernel) threads \(threads)")
                // Against a plain Double product: within fp32 rounding of the sum.
                let i = m - 1, j = n - 1
                let exact = Double(bias[j]) + (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * n + j]) }
                #expect(abs(Double(fused[i * n + j]) - exact) <= 1e-4 * Double(k))
            }
        }
    }
}
