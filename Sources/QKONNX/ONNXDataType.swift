import QKTensor

/// The mapping between ONNX `TensorProto.DataType` codes and ``DType``.
///
/// | ONNX     | code | DType    | typed field when not in raw_data          |
/// |----------|------|----------|-------------------------------------------|
/// | FLOAT    | 1    | float32  | float_data                                |
/// | UINT8    | 2    | uint8    | int32_data                                |
/// | INT8     | 3    | int8     | int32_data                                |
/// | UINT16   | 4    | uint16   | int32_data                                |
/// | INT16    | 5    | int16    | int32_data                                |
/// | INT32    | 6    | int32    | int32_data                                |
/// | INT64    | 7    | int64    | int64_data                                |
/// | BOOL     | 9    | bool     | int32_data                                |
/// | FLOAT16  | 10   | float16  | int32_data (bit pattern in the low 16 bits) |
/// | DOUBLE   | 11   | float64  | double_data                               |
/// | BFLOAT16 | 16   | bfloat16 | int32_data (bit pattern in the low 16 bits) |
/// | UINT4    | 21   | uint4    | int32_data (two values per entry, low nibble first) |
/// | INT4     | 22   | int4     | int32_data (two values per entry, low nibble first) |
///
/// raw_data and external data hold 4-bit values packed two per byte, element 2k in the low nibble of byte k.
/// Every other code (STRING, UINT32, UINT64, complex, float8, …) is unsupported.
enum ONNXDataType {
    /// The ONNX data type of `dtype`.
    static func dataType(for dtype: DType) -> Onnx_TensorProto.DataType {
        Onnx_TensorProto.DataType(rawValue: dtype.onnxCode)!
    }

    static let dtypeForCode: [Int32: DType] =
        Dictionary(uniqueKeysWithValues: DType.allCases.map { (Int32($0.onnxCode), $0) })

    /// ONNX's names for the codes 0 … 28, for messages.
    private static let names = [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
        "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
        "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
        "FLOAT6E2M3", "FLOAT6E3M2",
    ]

    /// The ONNX code of `dtype`.
    static func code(for dtype: DType) -> Int32 { Int32(dtype.onnxCode) }

    /// The ONNX name of a data type code, such as `STRING`, or `code 99` for a code ONNX does not define.
    static func name(of code: Int32) -> String {
        names.indices.contains(Int(code)) ? names[Int(code)] : "code \(code)"
    }

    /// The supported ONNX type names, for messages.
    static var supportedNames: String {
        dtypeForCode.keys.sorted().map { name(of: $0) }.joined(separator: ", ")
    }
}
