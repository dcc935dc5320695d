import QKTensor

/// ONNX `TensorProto.DataType` numbers and their QuantKit ``DType``.
public enum ONNXDataType {
    /// (ONNX number, dtype) for every dtype QuantKit supports.
    static let table: [(Int32, DType)] = [
        (1, .float32), (2, .uint8), (3, .int8), (4, .uint16), (5, .int16), (6, .int32), (7, .int64),
        (9, .bool), (10, .float16), (11, .float64), (16, .bfloat16),
    ]

    static let names: [Int32: String] = [
        0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
        8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
        15: "COMPLEX128", 16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2",
        20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
    ]

    /// The dtype of ONNX data type `number`, or nil when QuantKit does not support it.
    public static func dtype(_ number: Int32) -> DType? { table.first { $0.0 == number }?.1 }

    /// The ONNX data type number of `dtype`.
    public static func number(_ dtype: DType) -> Int32 { table.first { $0.1 == dtype }!.0 }

    /// The ONNX name of data type `number` ("FLOAT", "STRING", …).
    public static func name(of number: Int32) -> String { names[number] ?? "\(number)" }
}
