import QKTensor

extension QuantType {
    /// The integer range quantized values use, following ONNX Runtime's `get_qmin_qmax_for_qType`.
    ///
    /// | type   | full          | symmetric        | reduced (7-bit) |
    /// |--------|---------------|------------------|-----------------|
    /// | int8   | −128 … 127    | −127 … 127       | −64 … 64        |
    /// | uint8  | 0 … 255       | 0 … 255          | 0 … 127         |
    /// | int16  | −32768 … 32767| −32767 … 32767   | −16384 … 16384  |
    /// | uint16 | 0 … 65535     | 0 … 65535        | 0 … 32767       |
    /// | int4   | −8 … 7        | −8 … 7           | −4 … 3          |
    /// | uint4  | 0 … 15        | 0 … 15           | 0 … 7           |
    ///
    /// `reduceRange` wins over `symmetric` (as in ONNX Runtime). The symmetric signed ranges drop the most negative
    /// value so that the range is centred on zero.
    public func quantRange(symmetric: Bool, reduceRange: Bool) -> (qmin: Int32, qmax: Int32) {
        if reduceRange {
            switch self {
            case .int8: return (-64, 64)
            case .int16: return (-16384, 16384)
            case .int4: return (-4, 3)
            case .uint8, .uint16, .uint4: return (0, qmax >> 1)
            }
        }
        if symmetric, self == .int8 || self == .int16 { return (qmin + 1, qmax) }
        return (qmin, qmax)
    }

    /// The tensor element type that holds one quantized value (int4/uint4 tensors keep one value per element in
    /// memory and are packed two per byte when written).
    public var storageDType: DType {
        switch self {
        case .int8: .int8
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int4: .int4
        case .uint4: .uint4
        }
    }
}
