/// The element types a ``Tensor`` can hold.
///
/// | dtype    | bytes | range / notes                         |
/// |----------|-------|---------------------------------------|
/// | float32  | 4     | IEEE 754 binary32                     |
/// | float16  | 2     | IEEE 754 binary16                     |
/// | bfloat16 | 2     | upper 16 bits of a binary32           |
/// | float64  | 8     | IEEE 754 binary64                     |
/// | int8     | 1     | −128 … 127                            |
/// | uint8    | 1     | 0 … 255                               |
/// | int16    | 2     | −32768 … 32767                        |
/// | uint16   | 2     | 0 … 65535                             |
/// | int32    | 4     |                                       |
/// | int64    | 8     |                                       |
/// | bool     | 1     | stored as one byte, 0 or 1            |
public enum DType: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case float32, float16, bfloat16, float64
    case int8, uint8, int16, uint16, int32, int64
    case bool

    /// Bytes one element takes in memory and in files.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// True for float32, float16, bfloat16 and float64.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: true
        default: false
        }
    }

    /// True for the signed and unsigned integer types (not bool).
    public var isInteger: Bool { !isFloatingPoint && self != .bool }

    public var description: String { rawValue }
}
