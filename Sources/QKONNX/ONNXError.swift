/// Errors reading or writing ONNX files. Each names the file (or `<in-memory model>`) and, where it
/// applies, the tensor, value, node or attribute involved.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
    /// No file at the path.
    case fileNotFound(file: String)
    /// The path exists but cannot be read (a directory, no permission, an I/O error).
    case unreadable(file: String, reason: String)
    /// The file has zero bytes.
    case emptyFile(file: String)
    /// The bytes do not decode as the expected protobuf message (truncated, or another format).
    case notProtobuf(file: String, reason: String)
    /// The model has no graph.
    case missingGraph(file: String)
    /// A tensor or value whose element type QuantKit has no ``DType`` for.
    case unsupportedDataType(file: String, value: String, dataType: String)
    /// Raw or external tensor data of the wrong size.
    case tensorDataSize(file: String, tensor: String, source: String, expectedBytes: Int, actualBytes: Int)
    /// A typed data field (float_data, int32_data, …) with the wrong number of elements.
    case tensorElementCount(file: String, tensor: String, field: String, expected: Int, actual: Int)
    /// A tensor that is malformed in another way (negative or overflowing dimensions, segments).
    case invalidTensor(file: String, tensor: String, reason: String)
    /// A node attribute of a type QuantKit does not convert (sparse tensors, type protos).
    case unsupportedAttribute(file: String, node: String, attribute: String, type: String)
    /// An ONNX feature QuantKit does not read, such as model-local functions or sparse initializers.
    case unsupportedFeature(file: String, feature: String)
    /// A structural problem: duplicate initializers or attributes, an attribute without a type.
    case invalidModel(file: String, reason: String)
    /// An external-data reference that cannot be resolved or read.
    case externalData(file: String, tensor: String, reason: String)
    /// Writing an output file failed.
    case writeFailed(file: String, reason: String)
    /// A graph input or output without an element type (read from a non-tensor or unsupported type, or
    /// never declared): ONNX requires one, so the model cannot be written.
    case untypedValue(value: String)
    /// The serialized model would pass protobuf's 2 GiB message limit.
    case modelTooLarge(bytes: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            "\(file): no such file"
        case .unreadable(let file, let reason):
            "\(file): cannot read: \(reason)"
        case .emptyFile(let file):
            "\(file): the file is empty (0 bytes), not an ONNX model"
        case .notProtobuf(let file, let reason):
            "\(file): not a valid ONNX model (truncated or not protobuf): \(reason)"
        case .missingGraph(let file):
            "\(file): the model has no graph (is this an ONNX model file?)"
        case .unsupportedDataType(let file, let value, let dataType):
            "\(file): \(value) has element type \(dataType), which QuantKit does not support "
                + "(supported: \(ONNXDataType.supportedNames))"
        case .tensorDataSize(let file, let tensor, let source, let expected, let actual):
            "\(file): tensor \(tensor) needs \(expected) bytes of data but \(source) holds \(actual)"
        case .tensorElementCount(let file, let tensor, let field, let expected, let actual):
            "\(file): tensor \(tensor) needs \(expected) elements but its \(field) holds \(actual)"
        case .invalidTensor(let file, let tensor, let reason):
            "\(file): tensor \(tensor): \(reason)"
        case .unsupportedAttribute(let file, let node, let attribute, let type):
            "\(file): node '\(node)': attribute '\(attribute)' has type \(type), which QuantKit does not support"
        case .unsupportedFeature(let file, let feature):
            "\(file): \(feature)"
        case .invalidModel(let file, let reason):
            "\(file): invalid model: \(reason)"
        case .externalData(let file, let tensor, let reason):
            "\(file): external data of tensor \(tensor): \(reason)"
        case .writeFailed(let file, let reason):
            "\(file): cannot write: \(reason)"
        case .untypedValue(let value):
            "cannot write \(value): it has no element type QuantKit can write (its type was not a tensor of a "
                + "supported element type, or was never declared), and ONNX requires one"
        case .modelTooLarge(let bytes):
            "the serialized model would be \(bytes) bytes, over protobuf's 2 GiB limit; "
                + "write it with an external data threshold so the weights go to a side file"
        }
    }
}
