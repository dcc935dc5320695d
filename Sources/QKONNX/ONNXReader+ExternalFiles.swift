import Foundation
import SwiftProtobuf

extension ONNXReader {
    /// The distinct external data files (`location` entries, relative to the model's directory) that the
    /// initializers of the model at `path` point into, sorted; empty when every tensor is stored inline.
    /// Used to report a model's size on disk including its side files.
    public static func externalDataLocations(atPath path: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ONNXError.unreadable(file: path, reason: error.localizedDescription)
        }
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXError.unreadable(file: path, reason: "not a valid ONNX model (\(error))")
        }
        var locations: Set<String> = []
        for tensor in proto.graph.initializer where tensor.dataLocation == .external {
            if let entry = tensor.externalData.first(where: { $0.key == "location" }) { locations.insert(entry.value) }
        }
        return locations.sorted()
    }
}
