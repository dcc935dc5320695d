import CQKKernels

/// Integer-only requantization of int32 accumulators to u8/s8, per tensor or per output channel:
///
///     q = clamp(zeroPoint + requantize(v, multiplier[c], shift[c]), qmin, qmax)
///
/// with ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``'s fixed-point rounding (the SIMD epilogues are
/// bit-identical to it). A fused Relu/Clip narrows [qmin, qmax] (``clamped(lower:upper:)``).
///
/// Example: realMultipliers [0.5], zeroPoint 10, u8: v = 7 → 10 + round(3.5) = 14 and v = 5 → 10 + round(2.5) = 12
/// (one rounding, ties to even).
public struct Int8Requantization: Sendable, Equatable {
    /// Q31 multipliers: 1 (per tensor) or one per output channel.
    public let multipliers: [Int32]
    /// Right shifts (negative: left), same count as `multipliers`.
    public let shifts: [Int32]
    public let zeroPoint: Int32
    public let qmin: Int32
    public let qmax: Int32

    /// From multipliers and shifts as ``quantizeMultiplier(_:)`` returns them; [qmin, qmax] must lie inside one
    /// byte type's range (0…255 or −128…127).
    public init(multipliers: [Int32], shifts: [Int32], zeroPoint: Int32, qmin: Int32, qmax: Int32) {
        precondition(!multipliers.isEmpty && multipliers.count == shifts.count, "requantization: multipliers vs shifts")
        precondition(qmin <= qmax && qmin >= -128 && qmax <= 255 && (qmin >= 0 || qmax <= 127),
                     "requantization clamp [\(qmin), \(qmax)] is not inside one byte type")
        self.multipliers = multipliers
        self.shifts = shifts
        self.zeroPoint = zeroPoint
        self.qmin = qmin
        self.qmax = qmax
    }

    /// From real multipliers M[c] = s_a · s_b[c] / s_y (each through ``quantizeMultiplier(_:)``), saturating to the
    /// full range of u8 (`signed` false) or s8.
    public init(realMultipliers: [Double], zeroPoint: Int32, signed: Bool) {
        let fixed = realMultipliers.map(quantizeMultiplier)
        self.init(multipliers: fixed.map(\.multiplier), shifts: fixed.map { Int32($0.shift) }, zeroPoint: zeroPoint,
                  qmin: signed ? -128 : 0, qmax: signed ? 127 : 255)
    }

    /// The same requantization with the clamp range narrowed to [max(qmin, lower), min(qmax, upper)]: a fused
    /// Relu is `lower: zeroPoint`; Clip(a, b) is lower/upper = the quantized a and b.
    public func clamped(lower: Int32?, upper: Int32?) -> Int8Requantization {
        let lo = Swift.max(qmin, lower ?? qmin), hi = Swift.min(qmax, upper ?? qmax)
        return Int8Requantization(multipliers: multipliers, shifts: shifts, zeroPoint: zeroPoint,
                                  qmin: Swift.min(lo, hi), qmax: hi)
    }

    /// Output channels it is for (1 = per tensor).
    public var channels: Int { multipliers.count }

    /// The per-column constants of the SIMD epilogue (see `qk_i8_epilogue`) written into `arena` (3 · `padded`
    /// values: multipliers, right shifts r = 31 + shift in 1…62, roundings 2^(r−1) − 1) for `count` columns
    /// (per-tensor values repeated); the padding columns get multiplier 0 and r = 1.
    func writeColumns(_ count: Int, padded: Int, into arena: UnsafeMutablePointer<Int64>) {
        for j in 0..<padded {
            let c = channels == 1 ? 0 : Swift.min(j, count - 1)
            let r = requantizeRightShift(Int(shifts[c]))
            arena[j] = j < count ? Int64(multipliers[c]) : 0
            arena[padded + j] = Int64(r)
            arena[2 * padded + j] = (1 << Int64(r - 1)) - 1
        }
    }
}

/// Where the int8 GEMM/Conv writes its result.
public enum Int8Output {
    /// The exact int32 Σ (a − za)(b − zb) + bias (MatMulInteger, ConvInteger).
    case int32(UnsafeMutablePointer<Int32>)
    /// Requantized to u8 (the clamp range must lie in 0…255).
    case uint8(UnsafeMutablePointer<UInt8>, Int8Requantization)
    /// Requantized to s8 (the clamp range must lie in −128…127).
    case int8(UnsafeMutablePointer<Int8>, Int8Requantization)

    var requantization: Int8Requantization? {
        switch self {
        case .int32:
            return nil
        case .uint8(_, let r):
            precondition(r.qmin >= 0, "u8 output needs qmin ≥ 0")
            return r
        case .int8(_, let r):
            precondition(r.qmax <= 127, "s8 output needs qmax ≤ 127")
            return r
        }
    }

    var baseAddress: UnsafeMutableRawPointer {
        switch self {
        case .int32(let p): UnsafeMutableRawPointer(p)
        case .uint8(let p, _): UnsafeMutableRawPointer(p)
        case .int8(let p, _): UnsafeMutableRawPointer(p)
        }
    }

    /// Bytes per element.
    var elementSize: Int { if case .int32 = self { 4 } else { 1 } }
}

/// Requantizes `outer × channels × inner` int32 accumulators (channel c's multiplier for every element of its
/// `inner` run: inner = spatial size for NCHW, inner = 1 with channels = N for a row-major M×N) to bytes, with the
/// same rounding as ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``, using the SIMD code of `path`.
/// `output` receives u8 or s8 values as bytes (by the clamp range).
public func int8Requantize(_ acc: UnsafePointer<Int32>, outer: Int, channels: Int, inner: Int,
                           requantization r: Int8Requantization, output: UnsafeMutableRawPointer,
                           path: Int8KernelPath = .best) {
    precondition(r.channels == 1 || r.channels == channels, "requantization has \(r.channels) channels, need \(channels)")
    let out = output.assumingMemoryBound(to: UInt8.self)
    let run = path.requantizeRun
    if r.channels == 1 {
        run(outer * channels * inner, acc, r.multipliers[0], r.shifts[0], r.zeroPoint, r.qmin, r.qmax, out)
        return
    }
    for o in 0..<outer {
        for c in 0..<channels {
            let offset = (o * channels + c) * inner
            run(inner, acc + offset, r.multipliers[c], r.shifts[c], r.zeroPoint, r.qmin, r.qmax, out + offset)
        }
    }
}

extension Int8Requantization {
    /// The requantization of output channels `range` only (per-tensor values stay as they are).
    func channels(_ range: Range<Int>) -> Int8Requantization {
        guard channels > 1 else { return self }
        return Int8Requantization(multipliers: Array(multipliers[range]), shifts: Array(shifts[range]),
                                  zeroPoint: zeroPoint, qmin: qmin, qmax: qmax)
    }
}

extension Int8Output {
    /// The output starting `offset` elements further on, for output channels `channels` (per-channel
    /// requantization sliced to them).
    func advanced(by offset: Int, channels: Range<Int>) -> Int8Output {
        switch self {
        case .int32(let p): .int32(p + offset)
        case .uint8(let p, let r): .uint8(p + offset, r.channels(channels))
        case .int8(let p, let r): .int8(p + offset, r.channels(channels))
        }
    }
}
