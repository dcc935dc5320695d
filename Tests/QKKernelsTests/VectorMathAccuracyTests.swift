import Foundation
import Testing
@testable import QKKernels

/// Each ISA variant this machine supports, against Foundation's Double functions on a dense sweep.
///
/// Measured on an AVX-512 machine (the three variants agree to the digits shown): exp max relative error
/// 1.17e-7 over [−87.33, 88.72]; max absolute error over [−20, 20] erf 3.14e-7, tanh 3.61e-7, sigmoid 8.8e-8,
/// Gelu 1.6e-7·max(1, |x|).
@Suite struct VectorMathAccuracyTests {
    /// Every 1e-3 in [lo, hi], as Float.
    static func sweep(_ lo: Double, _ hi: Double, step: Double = 1e-3) -> [Float] {
        let count = Int(((hi - lo) / step).rounded()) + 1
        return (0..<count).map { Float(lo + Double($0) * step) }
    }

    /// `f` over `x` through the C entry point (count not a multiple of the vector width, so tails run too).
    static func apply(_ x: [Float], _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { src in
            y.withUnsafeMutableBufferPointer { dst in f(src.baseAddress!, dst.baseAddress!, x.count) }
        }
        return y
    }

    /// max |got − want(x)| / scale(x) over the sweep.
    static func maxError(_ x: [Float], _ got: [Float], _ want: (Double) -> Double,
                         scale: (Double) -> Double = { _ in 1 }) -> Double {
        zip(x, got).map { abs(Double($1) - want(Double($0))) / scale(Double($0)) }.max() ?? .infinity
    }

    @Test(arguments: VectorMath.available) func expRelativeError(_ v: VectorMath) {
        // ln(FLT_MIN) ≈ −87.34 and ln(FLT_MAX) ≈ 88.72: the normal range of results.
        let x = Self.sweep(-87.33, 88.72)
        let y = Self.apply(x) { v.exp($0, $1, count: $2) }
        let error = Self.maxError(x, y, { Foundation.exp($0) }, scale: { Foundation.exp($0) })
        #expect(error <= 2e-7, "\(v) exp max relative error \(error)")
    }

    @Test(arguments: VectorMath.available) func expFlushesSubnormalsAndSaturates(_ v: VectorMath) {
        // Results below FLT_MIN (x < ln FLT_MIN ≈ −87.33654) are flushed to +0.
        let tiny = Self.sweep(-120, -87.337, step: 1e-3)
        #expect(Self.apply(tiny) { v.exp($0, $1, count: $2) }.allSatisfy { $0 == 0 && $0.sign == .plus })
        let edges: [Float] = [-.infinity, -1000, -104, 0, -0.0, 88.8, 89, 1000, .infinity, -87.33, 88.72]
        let want: [Float] = [0, 0, 0, 1, 1, .infinity, .infinity, .infinity, .infinity,
                             Float(Foundation.exp(Double(-87.33 as Float))), Float(Foundation.exp(Double(88.72 as Float)))]
        let got = Self.apply(edges) { v.exp($0, $1, count: $2) }
        #expect(got.prefix(9) == want.prefix(9))
        for i in 9..<11 { #expect(abs(got[i] - want[i]) <= 2e-7 * want[i], "exp(\(edges[i])) = \(got[i])") }
        #expect(Self.apply([.nan, 1, .nan]) { v.exp($0, $1, count: $2) }.map(\.isNaN) == [true, false, true])
    }

    @Test(arguments: VectorMath.available) func erfAbsoluteError(_ v: VectorMath) {
        let x = Self.sweep(-20, 20)
        let error = Self.maxError(x, Self.apply(x) { v.erf($0, $1, count: $2) }) { Foundation.erf($0) }
        #expect(error <= 1e-6, "\(v) erf max absolute error \(error)")
        // Near 0 erf(x) ≈ 2x/√π: the rational keeps relative accuracy there.
        let small: [Float] = [1e-30, -1e-20, 1e-8, 1e-4]
        let relative = Self.maxError(small, Self.apply(small) { v.erf($0, $1, count: $2) }, { Foundation.erf($0) },
                                     scale: { abs(Foundation.erf($0)) })
        #expect(relative <= 2e-7)
        let edges: [Float] = [-.infinity, -5, 0, 5, .infinity]
        #expect(Self.apply(edges) { v.erf($0, $1, count: $2) } == [-1, -1, 0, 1, 1])
        #expect(Self.apply([.nan]) { v.erf($0, $1, count: $2) }[0].isNaN)
    }

    @Test(arguments: VectorMath.available) func tanhAbsoluteError(_ v: VectorMath) {
        let x = Self.sweep(-20, 20)
        let error = Self.maxError(x, Self.apply(x) { v.tanh($0, $1, count: $2) }) { Foundation.tanh($0) }
        #expect(error <= 1e-6, "\(v) tanh max absolute error \(error)")
        let edges: [Float] = [-.infinity, -10, 0, 10, .infinity]
        #expect(Self.apply(edges) { v.tanh($0, $1, count: $2) } == [-1, -1, 0, 1, 1])
        #expect(Self.apply([.nan]) { v.tanh($0, $1, count: $2) }[0].isNaN)
    }

    @Test(arguments: VectorMath.available) func sigmoidAbsoluteError(_ v: VectorMath) {
        let x = Self.sweep(-20, 20)
        let error = Self.maxError(x, Self.apply(x) { v.sigmoid($0, $1, count: $2) }) { 1 / (1 + Foundation.exp(-$0)) }
        #expect(error <= 1e-6, "\(v) sigmoid max absolute error \(error)")
        let edges: [Float] = [-.infinity, -200, 0, 200, .infinity]
        #expect(Self.apply(edges) { v.sigmoid($0, $1, count: $2) } == [0, 0, 0.5, 1, 1])
        #expect(Self.apply([.nan]) { v.sigmoid($0, $1, count: $2) }[0].isNaN)
    }

    @Test(arguments: VectorMath.available) func geluAbsoluteError(_ v: VectorMath) {
        let x = Self.sweep(-20, 20)
        let y = Self.apply(x) { v.gelu($0, $1, count: $2) }
        let error = Self.maxError(x, y, { $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) / 2 },
                                  scale: { Swift.max(1, abs($0)) })
        #expect(error <= 1e-6, "\(v) gelu max error \(error)")
        #expect(Self.apply([-.infinity, 0, .infinity]) { v.gelu($0, $1, count: $2) }.map(\.isNaN) == [true, false, false])
    }
}
