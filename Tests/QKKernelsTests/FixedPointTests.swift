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

    @Test func highMulAndDivideByPOTEdgeCases() {
        #expect(saturatingRoundingDoublingHighMul(.min, .min) == .max)
        #expect(saturatingRoundingDoublingHighMul(.max, .max) == Int32.max - 1)
        #expect(saturatingRoundingDoublingHighMul(.min, .max) == Int32.min + 1)
        // Ties go toward +∞ (gemmlowp's nudge 1 − 2^30 for negative products): 1.5 → 2, −1.5 → −1.
        #expect(saturatingRoundingDoublingHighMul(1 << 30, 3) == 2)
        #expect(saturatingRoundingDoublingHighMul(1 << 30, -3) == -1)
        #expect(saturatingRoundingDoublingHighMul(1 << 30, 1) == 1)     // 0.5 → 1
        #expect(saturatingRoundingDoublingHighMul(1 << 30, -1) == 0)    // −0.5 → 0
        #expect(saturatingRoundingDoublingHighMul(3 << 29, -1) == -1)   // −0.75 → −1
        #expect(roundingDivideByPOT(5, 1) == 3)
        #expect(roundingDivideByPOT(-5, 1) == -3)
        #expect(roundingDivideByPOT(6, 2) == 2)       // 1.5 → 2
        #expect(roundingDivideByPOT(-6, 2) == -2)
        #expect(roundingDivideByPOT(5, 2) == 1)       // 1.25 → 1
        #expect(roundingDivideByPOT(.min, 31) == -1)
        #expect(roundingDivideByPOT(.max, 31) == 1)
        #expect(roundingDivideByPOT(7, 0) == 7)
    }

    @Test func requantizeMatchesRoundedRealProduct() {
        var rng = SeededGenerator(seed: 2018)
        var exactHits = 0, total = 0
        for _ in 0..<200 {
            let m = exp(Double.random(in: log(1e-6)..<0, using: &rng))
            let (multiplier, shift) = quantizeMultiplier(m)
            for _ in 0..<500 {
                let acc = Int32.random(in: -(1 << 24) + 1..<(1 << 24), using: &rng)
                let got = requantize(acc: acc, multiplier: multiplier, shift: shift, zeroPoint: 0,
                                     qmin: .min, qmax: .max)
                // Real M (|M · acc| < 2^24, exact enough in Double), ties away from zero.
                let real = (m * Double(acc)).rounded(.toNearestOrAwayFromZero)
                #expect(abs(Double(got) - real) <= 1, "M \(m) acc \(acc)")
                // The quantized multiplier as an exact rational: multiplier · acc / 2^(31 + shift).
                let exact = roundedQuotient(Int64(multiplier) * Int64(acc), shiftBy: 31 + shift)
                #expect(abs(Int64(got) - exact) <= 1, "M \(m) acc \(acc)")
                if Int64(got) == exact { exactHits += 1 }
                total += 1
            }
        }
        // Rounding twice differs from one exact rounding only where the first rounding lands on a tie of the
        // second (gemmlowp / TFLite accept this); here that is about 2 % of the cases.
        #expect(Double(exactHits) / Double(total) > 0.95)
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
        #expect(requantize(acc: 7, multiplier: m2, shift: s2, zeroPoint: 0, qmin: -128, qmax: 127) == 11) // 10.5 → 11
        #expect(requantize(acc: .max, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max) == .max)
        #expect(requantize(acc: .min, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max) == .min)
        // 2^30 · 1.5 = 1610612736 fits although 2^30 · 2 (the shifted acc) does not.
        #expect(requantize(acc: 1 << 30, multiplier: m2, shift: s2, zeroPoint: 0, qmin: .min, qmax: .max)
            == 1_610_612_736)
        #expect(requantize(acc: .min, multiplier: .min, shift: 0, zeroPoint: 0, qmin: .min, qmax: .max) == .max)
    }

    /// value / 2^shift rounded to nearest, ties away from zero, in exact integer arithmetic.
    private func roundedQuotient(_ value: Int64, shiftBy shift: Int) -> Int64 {
        let divisor = Int64(1) << shift
        let q = value / divisor, r = value % divisor
        if 2 * abs(r) >= divisor { return q + (value < 0 ? -1 : 1) }
        return q
    }
}
