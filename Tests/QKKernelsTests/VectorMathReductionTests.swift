import Foundation
import Testing
@testable import QKKernels

/// The Softmax building blocks (max, shifted exponentials with their sum, scale), every length 0…40 so the
/// vector bodies and every tail length run.
@Suite struct VectorMathReductionTests {
    /// Deterministic values in [−8, 8) from a 64-bit LCG.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) / Double(1 << 53) * 16 - 8)
        }
    }

    @Test(arguments: VectorMath.available) func maxMatchesSequentialMaximum(_ v: VectorMath) {
        for n in 0...40 {
            let x = Self.values(n, seed: UInt64(n))
            let got = x.withUnsafeBufferPointer { v.max($0.baseAddress!, count: n) }
            #expect(got == (x.max() ?? -.infinity), "n = \(n)")
        }
    }

    @Test(arguments: VectorMath.available) func shiftedExponentialsAndSum(_ v: VectorMath) {
        for n in 0...40 {
            let x = Self.values(n, seed: 100 + UInt64(n))
            var y = [Float](repeating: .nan, count: n + 1)
            let sum = x.withUnsafeBufferPointer { src in
                y.withUnsafeMutableBufferPointer { v.expShifted(src.baseAddress!, by: 3, $0.baseAddress!, count: n) }
            }
            // The kernel subtracts in Float, so the reference exponentiates the same rounded difference.
            let want = x.map { Foundation.exp(Double($0 - 3)) }
            for i in 0..<n { #expect(abs(Double(y[i]) - want[i]) <= 2e-7 * want[i], "n = \(n), i = \(i)") }
            #expect(y[n].isNaN, "wrote past the end for n = \(n)")
            let total = want.reduce(0, +)
            #expect(abs(Double(sum) - total) <= 1e-6 * Swift.max(total, 1), "n = \(n)")
        }
    }

    @Test(arguments: VectorMath.available) func scaleMultipliesInPlace(_ v: VectorMath) {
        for n in 0...40 {
            var y = Self.values(n, seed: 200 + UInt64(n)) + [7]
            let want = y.prefix(n).map { $0 * 0.25 } + [7]
            y.withUnsafeMutableBufferPointer { v.scale($0.baseAddress!, by: 0.25, count: n) }
            #expect(y == want, "n = \(n)")
        }
    }
}
