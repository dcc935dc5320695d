/// Packs 4-bit values two per byte, ONNX INT4/UINT4 layout: element 2k in the low nibble of byte k, element
/// 2k+1 in the high nibble; an odd count leaves the last high nibble 0. Only the low 4 bits of each value are
/// kept (two's complement for negative values).
///
/// Example: [1, −2, 3] → [0xE1, 0x03].
public func packInt4<I: FixedWidthInteger>(_ values: [I]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: (values.count + 1) / 2)
    for (i, v) in values.enumerated() {
        let nibble = UInt8(truncatingIfNeeded: v) & 0x0F
        bytes[i >> 1] |= (i & 1 == 0) ? nibble : nibble << 4
    }
    return bytes
}

/// The first `count` 4-bit values of `bytes` (layout of ``packInt4(_:)``) as int4: nibbles sign-extended
/// (0xF → −1, 0x8 → −8). Values past the bytes' end read as 0.
public func unpackInt4(_ bytes: some Collection<UInt8>, count: Int) -> [Int8] {
    unpackUInt4(bytes, count: count).map { Int8(bitPattern: $0 << 4) >> 4 }
}

/// The first `count` 4-bit values of `bytes` (layout of ``packInt4(_:)``) as uint4, 0 … 15. Values past the
/// bytes' end read as 0.
public func unpackUInt4(_ bytes: some Collection<UInt8>, count: Int) -> [UInt8] {
    let array = Array(bytes)
    return (0..<Swift.max(count, 0)).map { i in
        let byte = (i >> 1) < array.count ? array[i >> 1] : 0
        return (i & 1 == 0) ? byte & 0x0F : byte >> 4
    }
}

extension TensorStorage {
    /// The first int4/uint4 element outside its 4-bit range, as (index, value); nil for in-range storage and for
    /// every other dtype.
    var firstFourBitViolation: (index: Int, value: Int)? {
        switch self {
        case .int4(let v): v.firstIndex { !(-8...7).contains($0) }.map { ($0, Int(v[$0])) }
        case .uint4(let v): v.firstIndex { $0 > 15 }.map { ($0, Int(v[$0])) }
        default: nil
        }
    }
}
