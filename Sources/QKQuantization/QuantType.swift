import QKTensor

/// The integer types values are quantized to, with their ranges.
///
/// | type   | bits | qmin   | qmax  | stored as                          |
/// |--------|------|--------|-------|------------------------------------|
/// | int8   | 8    | −128   | 127   | int8                               |
/// | uint8  | 8    | 0      | 255   | uint8                              |
/// | int16  | 16   | −32768 | 32767 | int16                              |
/// | uint16 | 16   | 0      | 65535 | uint16                             |
/// | int4   | 4    | −8     | 7     | int4 (packed two per byte, first in the low nibble, when written) |
/// | uint4  | 4    | 0      | 15    | uint4 (packed as int4)             |
public enum QuantType: String, Sendable, Codable, CaseIterable {
    case int8, uint8, int16, uint16, int4, uint4

    public var bits: Int {
        switch self {
        case .int8, .uint8: 8
        case .int16, .uint16: 16
        case .int4, .uint4: 4
        }
    }

    public var isSigned: Bool { self == .int8 || self == .int16 || self == .int4 }

    /// Smallest representable value.
    public var qmin: Int32 { isSigned ? -(1 << (bits - 1)) : 0 }

    /// Largest representable value.
    public var qmax: Int32 { isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1 }
}
