/// ONNX `TensorProto.DataType` codes.
///
/// | DType    | code | ONNX name |
/// |----------|------|-----------|
/// | float32  | 1    | FLOAT     |
/// | uint8    | 2    | UINT8     |
/// | int8     | 3    | INT8      |
/// | uint16   | 4    | UINT16    |
/// | int16    | 5    | INT16     |
/// | int32    | 6    | INT32     |
/// | int64    | 7    | INT64     |
/// | bool     | 9    | BOOL      |
/// | float16  | 10   | FLOAT16   |
/// | float64  | 11   | DOUBLE    |
/// | bfloat16 | 16   | BFLOAT16  |
/// | uint4    | 21   | UINT4     |
/// | int4     | 22   | INT4      |
extension DType {
    /// The ONNX data type code (the `to` of Cast, `dtype` of EyeLike, `elem_type` of a value).
    public var onnxCode: Int {
        switch self {
        case .float32: 1
        case .uint8: 2
        case .int8: 3
        case .uint16: 4
        case .int16: 5
        case .int32: 6
        case .int64: 7
        case .bool: 9
        case .float16: 10
        case .float64: 11
        case .bfloat16: 16
        case .uint4: 21
        case .int4: 22
        }
    }

    /// The dtype with ONNX data type `code`, or nil for codes QuantKit has no dtype for (STRING, UINT64, float8, …).
    public init?(onnxCode code: Int) {
        guard let match = DType.allCases.first(where: { $0.onnxCode == code }) else { return nil }
        self = match
    }
}
