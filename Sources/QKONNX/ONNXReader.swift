import Foundation
import QKGraph
import QKTensor
import SwiftProtobuf

/// Reads ONNX models (`.onnx`) and serialized tensors (`.pb`) into the QuantKit IR.
///
/// Tensors may hold their elements in `raw_data` (little-endian), in the typed fields (`float_data`,
/// `int32_data`, `int64_data`, `double_data`; float16/bfloat16 bit patterns and 8/16-bit integers and bools
/// in `int32_data`), or in an external file beside the model (see ``ONNXError/externalData(file:tensor:reason:)``).
/// Graph inputs, outputs and value_info of an unsupported element type load with `dtype == nil`;
/// initializers and attribute tensors of an unsupported type throw ``ONNXError/unsupportedDataType(file:value:dataType:)``.
/// Not read: training info, node/graph/value metadata_props; not supported (they throw): model-local
/// functions, sparse initializers, SPARSE_TENSOR(S) and TYPE_PROTO(S) attributes.
public enum ONNXReader {
    /// Reads the model at `path`; external data is resolved relative to the model's directory.
    ///
    /// ```swift
    /// let model = try ONNXReader.readModel(atPath: "mnist.onnx")
    /// print(model.graph.nodes.count)
    /// ```
    public static func readModel(atPath path: String) throws -> Model {
        let bytes = try readFile(path)
        let proto: Onnx_ModelProto = try decode(bytes, file: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ModelDecoder(file: path, baseDirectory: directory).model(proto)
    }

    /// Decodes a model from its serialized bytes. `baseDirectory` locates external data files; with nil,
    /// a model that uses external data throws.
    public static func model(from data: [UInt8], baseDirectory: String?) throws -> Model {
        let file = "<in-memory model>"
        guard !data.isEmpty else { throw ONNXError.emptyFile(file: file) }
        let proto: Onnx_ModelProto = try decode(data, file: file)
        return try ModelDecoder(file: file, baseDirectory: baseDirectory).model(proto)
    }

    /// Reads a serialized `TensorProto`, such as the `input_0.pb` files of the ONNX node tests.
    /// Returns the tensor's name (possibly empty) and its value.
    public static func readTensor(atPath path: String) throws -> (name: String, tensor: Tensor) {
        let bytes = try readFile(path)
        let proto: Onnx_TensorProto = try decode(bytes, file: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let decoder = ModelDecoder(file: path, baseDirectory: directory)
        return (proto.name, try decoder.tensor(proto, label: "'\(proto.name)'"))
    }

    private static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ONNXError.fileNotFound(file: path)
        }
        guard !isDirectory.boolValue else { throw ONNXError.unreadable(file: path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ONNXError.unreadable(file: path, reason: error.localizedDescription)
        }
        guard !data.isEmpty else { throw ONNXError.emptyFile(file: path) }
        return data
    }

    private static func decode<M: SwiftProtobuf.Message>(_ bytes: some SwiftProtobufContiguousBytes,
                                                         file: String) throws -> M {
        do {
            return try M(serializedBytes: bytes)
        } catch {
            throw ONNXError.notProtobuf(file: file, reason: "\(error)")
        }
    }
}
