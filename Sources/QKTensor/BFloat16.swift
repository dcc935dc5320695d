/// Brain floating point: the upper 16 bits of an IEEE binary32 (8 exponent bits, 7 mantissa bits).
///
/// Conversion from `Float` rounds to nearest, ties to even, on the 16 dropped bits:
/// `bits = (f.bits + 0x7FFF + ((f.bits >> 16) & 1)) >> 16`; NaN stays a quiet NaN.
public struct BFloat16: Sendable, Hashable, CustomStringConvertible {
    /// The raw 16-bit pattern.
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest bfloat16 (ties to even).
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
            return
        }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        bitPattern = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The exact binary32 value of this bfloat16.
    public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    public var description: String { floatValue.description }
}
