/// Errors reading or writing ONNX files; each names the file and, where it applies, the tensor, node or attribute.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case emptyFile(path: String)
    case notProtobuf(path: String, reason: String)
    case missingGraph(path: String)
    case unsupportedDataType(path: String, tensor: String, dataType: Int32)
    case tensorDataSize(path: String, tensor: String, expected: Int, actual: Int)
    case unsupportedAttribute(path: String, node: String, attribute: String, type: String)
    case modelFunctions(path: String, names: [String])
    case externalData(path: String, tensor: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .emptyFile(let path):
            "\(path): the file is empty, not an ONNX model"
        case .notProtobuf(let path, let reason):
            "\(path): not a valid ONNX model (truncated or not protobuf): \(reason)"
        case .missingGraph(let path):
            "\(path): the model has no graph"
        case .unsupportedDataType(let path, let tensor, let dataType):
            "\(path): tensor '\(tensor)' has ONNX data type \(ONNXDataType.name(of: dataType)), which QuantKit does not support"
        case .tensorDataSize(let path, let tensor, let expected, let actual):
            "\(path): tensor '\(tensor)' should hold \(expected) elements (from its dims) but its data has \(actual)"
        case .unsupportedAttribute(let path, let node, let attribute, let type):
            "\(path): node '\(node)' attribute '\(attribute)' has type \(type), which QuantKit does not support"
        case .modelFunctions(let path, let names):
            "\(path): model-local functions are not supported (function \(names.map { "'\($0)'" }.joined(separator: ", ")))"
        case .externalData(let path, let tensor, let reason):
            "\(path): external data of tensor '\(tensor)': \(reason)"
        case .writeFailed(let path, let reason):
            "\(path): cannot write: \(reason)"
        }
    }
}
