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
/// | int4     | 1 (½) | −8 … 7; one byte per value in memory, packed two per byte in files |
/// | uint4    | 1 (½) | 0 … 15; as int4                       |
///
/// The 4-bit types are held unpacked in memory (``TensorStorage/int4(_:)`` keeps `Int8`s, ``TensorStorage/uint4(_:)``
/// `UInt8`s) so that every element is addressable and element-moving code (reshape, transpose, slice, gather)
/// works on them unchanged; they are packed two per byte, first element in the low nibble (ONNX's layout), only
/// when serialized (``Tensor/littleEndianBytes``, ONNX `raw_data`).
public enum DType: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case float32, float16, bfloat16, float64
    case int8, uint8, int16, uint16, int32, int64
    case bool
    case int4, uint4

    /// Bytes one element takes in memory (and in files, except for the 4-bit types: see ``storedByteCount(_:)``).
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool, .int4, .uint4: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// Bits one element takes when serialized: 4 for int4/uint4, else 8 · ``byteSize``.
    public var bitWidth: Int {
        switch self {
        case .int4, .uint4: 4
        default: byteSize * 8
        }
    }

    /// Bytes `count` elements take serialized (ONNX raw_data, external data): ⌈count · bitWidth / 8⌉.
    ///
    /// Example: 5 int4 values take 3 bytes; 5 float32 values take 20.
    public func storedByteCount(_ count: Int) -> Int { (count * bitWidth + 7) / 8 }

    /// The values a 4-bit element may take (−8 … 7 for int4, 0 … 15 for uint4); nil for other dtypes.
    public var fourBitRange: ClosedRange<Int>? {
        switch self {
        case .int4: -8...7
        case .uint4: 0...15
        default: nil
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
