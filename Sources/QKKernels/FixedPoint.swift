// Integer-only requantization (Jacob et al. 2018, gemmlowp / TFLite): a real multiplier M is applied to an
// int32 accumulator as a Q31 fixed-point multiply and a rounding right shift, with no floats at run time.
//
// | step                                | rounding                                          |
// |-------------------------------------|---------------------------------------------------|
// | saturatingRoundingDoublingHighMul   | to nearest, ties toward +∞ (nudge 2³⁰ or 1 − 2³⁰) |
// | roundingDivideByPOT                 | to nearest, ties away from zero                   |
//
// Rounding twice can differ from round(M · acc) by at most 1 (tests bound it).

/// Splits M > 0 into a Q31 multiplier and a right shift: M ≈ (multiplier / 2³¹) · 2^−shift with
/// multiplier / 2³¹ ∈ [0.5, 1).
///
/// - M ≥ 1 gives a negative shift (a left shift in ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``).
/// - M ≤ 0, NaN, or M < 2⁻³¹ (so small that M · acc rounds to 0 for every int32 acc) give (0, 0).
/// - M ≥ 2³¹ (unusable) saturates to (Int32.max, −31).
///
/// Example: 0.3 → (1288490189, 1) since 0.6 · 2³¹ = 1288490188.8.
public func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
    guard real.isFinite, real >= 0x1p-31 else { return real.isInfinite && real > 0 ? (.max, -31) : (0, 0) }
    let exponent = Int(real.exponent) + 1          // real = fraction · 2^exponent, fraction ∈ [0.5, 1)
    let fraction = real.significand / 2
    var q = Int64((fraction * 0x1p31).rounded(.toNearestOrAwayFromZero))
    var shift = -exponent
    if q == 1 << 31 {
        q /= 2
        shift -= 1
    }
    if shift < -31 { return (.max, -31) }
    return (Int32(q), shift)
}

/// round(a · b / 2³¹) to nearest, ties toward +∞ (1.5 → 2, −1.5 → −1: the nudge is 2³⁰ for a non-negative
/// product and 1 − 2³⁰ for a negative one, then the division truncates), saturating the single overflow case
/// (Int32.min · Int32.min → Int32.max), as gemmlowp's SaturatingRoundingDoublingHighMul.
public func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == .min && b == .min { return .max }
    let product = Int64(a) * Int64(b)
    let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
    return Int32((product + nudge) / (1 << 31))   // Int64 division truncates toward zero
}

/// x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT);
/// `exponent` is clamped to 0 … 31.
///
/// Example: roundingDivideByPOT(5, 1) = 3, roundingDivideByPOT(−5, 1) = −3.
public func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
    let e = Int32(Swift.min(Swift.max(exponent, 0), 31))
    let mask: Int32 = e == 31 ? .max : (1 << e) - 1
    let remainder = x & mask
    let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
    return (x >> e) + (remainder > threshold ? 1 : 0)
}

/// q = clamp(zeroPoint + round(M · acc), qmin, qmax) with M = (multiplier / 2³¹) · 2^−shift from
/// ``quantizeMultiplier(_:)``: ``saturatingRoundingDoublingHighMul(_:_:)`` then ``roundingDivideByPOT(_:_:)``.
/// A negative shift (M ≥ 1) multiplies acc by 2^−shift first, in 64 bits, saturating only a result outside
/// int32. ReLU/ReLU6 fold in by narrowing [qmin, qmax].
public func requantize(acc: Int32, multiplier: Int32, shift: Int, zeroPoint: Int32, qmin: Int32, qmax: Int32) -> Int32 {
    let scaled = shift >= 0
        ? roundingDivideByPOT(saturatingRoundingDoublingHighMul(acc, multiplier), shift)
        : wideRoundingHighMul(Int64(acc) << Int64(Swift.min(-shift, 31)), multiplier)
    let shifted = Int64(scaled) + Int64(zeroPoint)
    return Int32(Swift.min(Swift.max(shifted, Int64(qmin)), Int64(qmax)))
}

/// round(x · m / 2³¹) with the rounding of ``saturatingRoundingDoublingHighMul(_:_:)`` for a 64-bit x,
/// saturated to int32 (an Int64 overflow means the result is far outside int32).
private func wideRoundingHighMul(_ x: Int64, _ m: Int32) -> Int32 {
    let saturated: Int32 = (x < 0) != (m < 0) ? .min : .max
    let (product, overflow) = x.multipliedReportingOverflow(by: Int64(m))
    guard !overflow else { return saturated }
    let (nudged, overflow2) = product.addingReportingOverflow(product >= 0 ? 1 << 30 : 1 - (1 << 30))
    guard !overflow2 else { return saturated }
    return Int32(clamping: nudged / (1 << 31))
}
