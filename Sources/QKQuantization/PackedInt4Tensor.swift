/// Packs 4-bit values two per byte, ONNX INT4/UINT4 layout: element 2k in the low nibble of byte k, element
/// 2k+1 in the high nibble; an odd count leaves the last high nibble 0.
///
/// Example: [1, −2, 3] → [0xE1, 0x03].
public func packInt4(_ values: [Int8]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: (values.count + 1) / 2)
    for (i, v) in values.enumerated() {
        let nibble = UInt8(bitPattern: v) & 0x0F
        bytes[i >> 1] |= (i & 1 == 0) ? nibble : nibble << 4
    }
    return bytes
}

/// The first `count` 4-bit values of `bytes` (layout of ``packInt4(_:)``), sign-extended when `signed`
/// (nibble 0xF → −1), else 0 … 15. Values past the bytes' end read as 0.
public func unpackInt4(_ bytes: [UInt8], count: Int, signed: Bool) -> [Int8] {
    (0..<Swift.max(count, 0)).map { i in
        let byte = (i >> 1) < bytes.count ? bytes[i >> 1] : 0
        let nibble = (i & 1 == 0) ? byte & 0x0F : byte >> 4
        return signed ? Int8(bitPattern: nibble << 4) >> 4 : Int8(nibble)
    }
}

/// A tensor of int4 or uint4 values stored packed (``packInt4(_:)``), keeping its logical shape.
public struct PackedInt4Tensor: Sendable, Equatable {
    public let shape: [Int]
    public let signed: Bool
    /// ⌈count / 2⌉ bytes.
    public let bytes: [UInt8]

    /// Packs `values` (each in −8 … 7 when `signed`, else 0 … 15).
    public init(shape: [Int], values: [Int8], signed: Bool) throws {
        guard shape.reduce(1, *) == values.count else {
            throw QuantizationError.countMismatch(shape: shape, count: values.count)
        }
        let range: ClosedRange<Int8> = signed ? -8...7 : 0...15
        if let bad = values.first(where: { !range.contains($0) }) {
            throw QuantizationError.zeroPointOutOfRange(Int32(bad), type: signed ? .int4 : .uint4)
        }
        self.init(shape: shape, bytes: packInt4(values), signed: signed)
    }

    /// Wraps already packed bytes; their count must be ⌈count / 2⌉.
    public init(shape: [Int], bytes: [UInt8], signed: Bool) {
        self.shape = shape
        self.bytes = bytes
        self.signed = signed
    }

    /// Number of logical elements.
    public var count: Int { shape.reduce(1, *) }

    /// The logical values, unpacked.
    public var values: [Int8] { unpackInt4(bytes, count: count, signed: signed) }
}
