// Integer-only requantization (Jacob et al. 2018): a real multiplier M is applied to an int32 accumulator as a
// Q31 fixed-point multiplier and a right shift, with no floats at run time. Unlike gemmlowp / TFLite, which round
// twice (a rounding high multiply, then a rounding shift, off by one step on ~1 % of outputs), the product
// acc · multiplier is formed in 64 bits and rounded once, to nearest with ties to even: the result is
// round(acc · multiplier / 2^(31 + shift)) exactly, and so equal to round(acc · M) unless acc · M lies within
// |acc · M| · 2⁻³¹ of a half-integer. Ties to even are what ONNX QuantizeLinear and onnxruntime's requantization
// (float, round-to-nearest-even) do, so exact ties (M = 0.5, …) agree with them too.

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

/// q = clamp(zeroPoint + round(acc · multiplier / 2^r), qmin, qmax), r = 31 + shift (M = multiplier / 2³¹ ·
/// 2^−shift from ``quantizeMultiplier(_:)``), rounded once, to nearest with ties to even, from the exact 64-bit
/// product. `shift` is clamped to −30 … 31 (r = 1 … 62); the lower clamp only touches M ≥ 2³⁰, where every
/// nonzero acc saturates either way. ReLU/ReLU6 fold in by narrowing [qmin, qmax].
///
/// Example: multiplier 2³⁰, shift 0 (M = 0.5): acc 5 → 2 (2.5 to even), acc 7 → 4 (3.5 to even), acc −5 → −2.
public func requantize(acc: Int32, multiplier: Int32, shift: Int, zeroPoint: Int32, qmin: Int32, qmax: Int32) -> Int32 {
    let scaled = roundingRightShift(Int64(acc) * Int64(multiplier), requantizeRightShift(shift))
    let shifted = scaled + Int64(zeroPoint)
    return Int32(Swift.min(Swift.max(shifted, Int64(qmin)), Int64(qmax)))
}

/// The total right shift r = 31 + shift of ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``, in 1 … 62.
@inline(__always) func requantizeRightShift(_ shift: Int) -> Int {
    31 + Swift.min(Swift.max(shift, -30), 31)
}

/// p / 2^r rounded to nearest, ties to even, for 1 ≤ r ≤ 62 and |p| ≤ 2⁶²:
/// floor((p + 2^(r−1) − 1 + bit_r(p)) / 2^r), where bit r of p is the parity of floor(p / 2^r).
///
/// Example: roundingRightShift(6, 2) = 2 (1.5 → 2), roundingRightShift(10, 2) = 2 (2.5 → 2).
public func roundingRightShift(_ p: Int64, _ r: Int) -> Int64 {
    precondition(r >= 1 && r <= 62, "rounding shift \(r) outside 1…62")
    let odd = (p >> Int64(r)) & 1
    return (p + ((1 << Int64(r - 1)) - 1) + odd) >> Int64(r)
}
