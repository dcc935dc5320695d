import Foundation
import Testing
@testable import QKKernels

@Suite struct FixedPointTests {
    @Test func quantizeMultiplierByHand() {
        // 0.3 = 0.6 · 2^−1; 0.6 · 2^31 = 1288490188.8 → 1288490189.
        #expect(quantizeMultiplier(0.3) == (1_288_490_189, 1))
        #expect(quantizeMultiplier(0.5) == (1 << 30, 0))
        #expect(quantizeMultiplier(0.75) == (1_610_612_736, 0))
        // 1.5 = 0.75 · 2^1: left shift 1.
        #expect(quantizeMultiplier(1.5) == (1_610_612_736, -1))
        // Just below 1: the fraction rounds up to 2^31, renormalised to 2^30 with one less shift.
        #expect(quantizeMultiplier(1 - 0x1p-40) == (1 << 30, -1))
        #expect(quantizeMultiplier(0) == (0, 0))
        #expect(quantizeMultiplier(-1) == (0, 0))
        #expect(quantizeMultiplier(.nan) == (0, 0))
        #expect(quantizeMultiplier(1e-12) == (0, 0))
    }

    @Test func multiplierIsNormalised() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<10_000 {
            let m = exp(Double.random(in: log(1e-6)..<0, using: &rng))
            let (q, shift) = quantizeMultiplier(m)
            #expect(q >= 1 << 30)
            let represented: Double = Double(q) * pow(2.0, Double(-31 - shift))
            #expect(abs(represented - m) <= m * 0x1p-30)
        }
    }

    @Test func roundingRightShiftTiesToEven() {
        #expect(roundingRightShift(6, 2) == 2)      // 1.5 → 2
        #expect(roundingRightShift(10, 2) == 2)     // 2.5 → 2
        #expect(roundingRightShift(14, 2) == 4)     // 3.5 → 4
        #expect(roundingRightShift(-6, 2) == -2)    // −1.5 → −2
        #expect(roundingRightShift(-10, 2) == -2)   // −2.5 → −2
        #expect(roundingRightShift(5, 2) == 1)      // 1.25 → 1
        #expect(roundingRightShift(7, 2) == 2)      // 1.75 → 2
        #expect(roundingRightShift(-7, 2) == -2)    // −1.75 → −2
        #expect(roundingRightShift(1, 1) == 0)      // 0.5 → 0
        #expect(roundingRightShift(-1, 1) == 0)     // −0.5 → 0
        #expect(roundingRightShift(3, 1) == 2)      // 1.5 → 2
        #expect(roundingRightShift(1 << 62, 62) == 1)
        #expect(roundingRightShift(-(1 << 62), 62) == -1)
        #expect(roundingRightShift(1 << 61, 62) == 0)   // 0.5 → 0
        #expect(roundingRightShift(3 << 60, 62) == 1)   // 0.75 → 1
    }

    /// One rounding of the exact product: requantize equals the rational multiplier · acc / 2^(31 + shift) rounded
    /// to nearest, ties to even, for every sample (the former two-step gemmlowp rounding missed ~2 % of them).
    @Test func requantizeIsOneExactRounding() {
        var rng = SeededGenerator(seed: 2018)
        for _ in 0..<200 {
            let m = exp(Double.random(in: log(1e-6)..<4, using: &rng))
            let (multiplier, shift) = quantizeMultiplier(m)
            for _ in 0..<500 {
                let acc = Int32.random(in: -(1 << 24) + 1..<(1 << 24), using: &rng)
                let got = requantize(acc: acc, multiplier: multiplier, shift: shift, zeroPoint: 0,
                                     qmin: .min, qmax: .max)
                let exact = roundedQuotient(Int64(multiplier) * Int64(acc), shiftBy: 31 + shift)
                #expect(Int64(got) == Swift.min(Swift.max(exact, Int64(Int32.min)), Int64(Int32.max)),
                        "M \(m) acc \(acc)")
            }
        }
    }

    /// Against round(acc · M) in double precision (ties to even) with the real M, on outputs in the range
    /// requantization produces (|acc · M| ≤ 400): the Q31 multiplier's relative error (≤ 2⁻³¹) can only flip a
    /// result within 400 · 2⁻³¹ of a half-integer, so mismatches must be (almost) absent.
    @Test func requantizeMatchesRoundedRealProduct() {
        var rng = SeededGenerator(seed: 77)
        var mismatches = 0, total = 0
        for _ in 0..<400 {
            let m = exp(Double.random(in: log(1e-6)..<log(2), using: &rng))
            let (multiplier, shift) = quantizeMultiplier(m)
            let limit = Swift.min(400 / m, Double(Int32.max))
            for _ in 0..<500 {
                let acc = Int32(Double.random(in: -limit...limit, using: &rng))
                let got = requantize(acc: acc, multiplier: multiplier, shift: shift, zeroPoint: 0,
                                     qmin: .min, qmax: .max)
                if Double(got) != (Double(acc) * m).rounded(.toNearestOrEven) { mismatches += 1 }
                total += 1
            }
        }
        #expect(mismatches <= total / 100_000, "\(mismatches) of \(total) differ from round(acc · M)")
    }

    @Test func requantizeAddsZeroPointAndSaturates() {
        let (m, s) = quantizeMultiplier(0.5)
        #expect(requantize(acc: 100, multiplier: m, shift: s, zeroPoint: 10, qmin: 0, qmax: 255) == 60)
        #expect(requantize(acc: 1000, multiplier: m, shift: s, zeroPoint: 10, qmin: 0, qmax: 255) == 255)
        #expect(requantize(acc: -1000, multiplier: m, shift: s, zeroPoint: 10, qmin: 0, qmax: 255) == 0)
        // ReLU6-style narrowed bounds.
        #expect(requantize(acc: 1000, multiplier: m, shift: s, zeroPoint: 10, qmin: 10, qmax: 70) == 70)
        // M = 1.5 (left shift), and a left shift that saturates.
        let (m2, s2) = quantizeMultiplier(1.5)
        #expect(requantize(acc: 7, multiplier: m2, shift: s2, zeroPoint: 0, qmin: -128, qmax: 127) == 10) // 10.5 → 10 (ties to even)
        #expect(requantize(acc: .max, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max) == .max)
        #expect(requantize(acc: .min, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max) == .min)
        // 2^30 · 1.5 = 1610612736 fits although 2^30 · 2 (the shifted acc) does not.
        #expect(requantize(acc: 1 << 30, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max)
            == 1_610_612_736)
        #expect(requantize(acc: .min, multiplier: .min, shift: 0, zeroPoint: 0, qmin: .min, qmax: .max) == .max)
    }

    /// value / 2^shift rounded to nearest, ties to even, in exact integer arithmetic (truncating division, then
    /// the remainder compared with half the divisor).
    private func roundedQuotient(_ value: Int64, shiftBy shift: Int) -> Int64 {
        let divisor = Int64(1) << shift
        let q = value / divisor, r = value % divisor
        let away = q + (value < 0 ? -1 : 1)
        if 2 * abs(r) > divisor || (2 * abs(r) == divisor && q % 2 != 0) { return away }
        return q
    }
}
