import Foundation
import QKGraph
import QKTensor
import SwiftProtobuf

/// Writes QuantKit models and tensors as ONNX protobuf.
///
/// Output is deterministic: nodes, inputs, outputs and value_info keep their order; initializers and node
/// attributes are written sorted by name; tensor elements go to `raw_data` (little-endian). Files are
/// written atomically (temporary file in the target directory, then rename); the input is never modified.
/// Graph inputs and outputs need a dtype (ONNX requires an element type; otherwise
/// ``ONNXError/untypedValue(value:)``); value_info entries without one are left out.
public enum ONNXWriter {
    /// Writes `model` to `path`.
    ///
    /// With `externalDataThreshold = n`, every graph initializer (in subgraphs too) of at least `n` bytes
    /// is stored in one side file, `<file name>.data` beside the model (for `model.onnx`:
    /// `model.onnx.data`), each tensor at an offset that is a multiple of 4096. Attribute tensors stay inline.
    ///
    /// ```swift
    /// try ONNXWriter.write(model, toPath: "out/model.onnx", externalDataThreshold: 1024)
    /// ```
    public static func write(_ model: Model, toPath path: String, externalDataThreshold: Int? = nil) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ONNXError.writeFailed(file: path, reason: "the directory '\(directory)' does not exist")
        }
        let sideFile = externalDataThreshold.map { ExternalDataWriter(modelPath: path, threshold: $0) }
        var encoder = ModelEncoder(externalData: sideFile)
        do {
            let bytes = try serialized(try encoder.model(model))
            let temporary = try AtomicFile.writeTemporary(bytes, beside: path)
            do {
                try sideFile?.commit()
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
            try AtomicFile.move(temporary, to: path)
        } catch {
            sideFile?.discard()
            throw error
        }
    }

    /// The serialized bytes of `model`, every tensor inline.
    public static func serialize(_ model: Model) throws -> [UInt8] {
        var encoder = ModelEncoder()
        return try serialized(try encoder.model(model))
    }

    /// The serialized bytes of a `TensorProto` holding `tensor` (in raw_data) under `name`, the format of
    /// the ONNX node tests' `input_0.pb` files.
    public static func serializeTensor(_ tensor: Tensor, name: String) throws -> [UInt8] {
        var encoder = ModelEncoder()
        return try serialized(try encoder.tensor(tensor, name: name, allowExternal: false))
    }

    private static func serialized(_ message: some SwiftProtobuf.Message) throws -> [UInt8] {
        let bytes: [UInt8] = try message.serializedBytes()
        guard bytes.count <= ModelEncoder.messageLimit else { throw ONNXError.modelTooLarge(bytes: bytes.count) }
        return bytes
    }
}
