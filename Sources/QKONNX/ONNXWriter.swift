import Foundation
import QKGraph
import QKTensor
import SwiftProtobuf

/// Writes QuantKit models as ONNX files.
///
/// Output is deterministic: initializers and attributes are written sorted by name. Files are written to a
/// temporary file in the target directory and renamed into place, so a failed write leaves nothing behind.
public enum ONNXWriter {
    /// Writes `model` to `path`. With `externalDataThreshold`, initializers of at least that many bytes are stored
    /// in `<file name>.data` beside the model (offsets aligned to 4096 bytes), as ONNX external data.
    public static func write(_ model: Model, toPath path: String, externalDataThreshold: Int? = nil) throws {
        var external: ExternalDataBuilder?
        if let threshold = externalDataThreshold {
            external = ExternalDataBuilder(location: (path as NSString).lastPathComponent + ".data", threshold: threshold)
        }
        let proto = ModelEncoder(external: external).model(from: model)
        let bytes: Data
        do { bytes = try proto.model.serializedData() } catch {
            throw ONNXError.writeFailed(path: path, reason: "\(error)")
        }
        if let sideFile = proto.external, !sideFile.bytes.isEmpty {
            let sidePath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(sideFile.location)
            try writeAtomically(sideFile.bytes, to: sidePath)
        }
        try writeAtomically(bytes, to: path)
    }

    /// The serialized `ModelProto` of `model` (all tensors inline).
    public static func serialize(_ model: Model) throws -> Data {
        try ModelEncoder(external: nil).model(from: model).model.serializedData()
    }

    /// A serialized `TensorProto` holding `tensor` under `name` (the node tests' `.pb` format).
    public static func serializeTensor(_ tensor: Tensor, name: String) throws -> Data {
        try ONNXTensorCoding.proto(from: tensor, name: name).serializedData()
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ONNXError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}

/// Collects large tensors into one side file.
private struct ExternalDataBuilder {
    let location: String
    let threshold: Int
    var bytes = Data()

    /// Moves `proto`'s raw data to the side file when it is large enough.
    mutating func place(_ proto: inout Onnx_TensorProto) {
        guard proto.rawData.count >= threshold else { return }
        let padding = (4096 - bytes.count % 4096) % 4096
        bytes.append(Data(count: padding))
        let offset = bytes.count
        bytes.append(proto.rawData)
        proto.externalData = [("location", location), ("offset", "\(offset)"), ("length", "\(proto.rawData.count)")].map {
            var entry = Onnx_StringStringEntryProto()
            entry.key = $0.0
            entry.value = $0.1
            return entry
        }
        proto.dataLocation = .external
        proto.clearRawData()
    }
}

/// Converts IR values into protobuf messages.
private struct ModelEncoder {
    var external: ExternalDataBuilder?

    func model(from model: Model) -> (model: Onnx_ModelProto, external: ExternalDataBuilder?) {
        var encoder = self
        var proto = Onnx_ModelProto()
        proto.irVersion = model.irVersion
        proto.opsetImport = model.opsetImports.map {
            var opset = Onnx_OperatorSetIdProto()
            opset.domain = $0.domain
            opset.version = $0.version
            return opset
        }
        if !model.producerName.isEmpty { proto.producerName = model.producerName }
        if !model.producerVersion.isEmpty { proto.producerVersion = model.producerVersion }
        if !model.domain.isEmpty { proto.domain = model.domain }
        if model.modelVersion != 0 { proto.modelVersion = model.modelVersion }
        if !model.docString.isEmpty { proto.docString = model.docString }
        proto.metadataProps = model.metadata.map {
            var entry = Onnx_StringStringEntryProto()
            entry.key = $0.key
            entry.value = $0.value
            return entry
        }
        proto.graph = encoder.graph(from: model.graph, topLevel: true)
        return (proto, encoder.external)
    }

    mutating func graph(from graph: Graph, topLevel: Bool = false) -> Onnx_GraphProto {
        var proto = Onnx_GraphProto()
        proto.name = graph.name
        if !graph.docString.isEmpty { proto.docString = graph.docString }
        proto.node = graph.nodes.map { node(from: $0) }
        proto.input = graph.inputs.map(valueInfo)
        proto.output = graph.outputs.map(valueInfo)
        proto.valueInfo = graph.valueInfo.map(valueInfo)
        proto.initializer = graph.initializers.keys.sorted().map { name in
            var tensor = ONNXTensorCoding.proto(from: graph.initializers[name]!, name: name)
            if topLevel { external?.place(&tensor) }
            return tensor
        }
        return proto
    }

    mutating func node(from node: Node) -> Onnx_NodeProto {
        var proto = Onnx_NodeProto()
        proto.input = node.inputs
        proto.output = node.outputs
        if !node.name.isEmpty { proto.name = node.name }
        proto.opType = node.opType
        if !node.domain.isEmpty { proto.domain = node.domain }
        if !node.docString.isEmpty { proto.docString = node.docString }
        proto.attribute = node.attributes.keys.sorted().map { attribute(named: $0, node.attributes[$0]!) }
        return proto
    }

    mutating func attribute(named name: String, _ value: Attribute) -> Onnx_AttributeProto {
        var proto = Onnx_AttributeProto()
        proto.name = name
        switch value {
        case .float(let v): proto.type = .float; proto.f = v
        case .int(let v): proto.type = .int; proto.i = v
        case .string(let v): proto.type = .string; proto.s = Data(v.utf8)
        case .tensor(let v): proto.type = .tensor; proto.t = ONNXTensorCoding.proto(from: v, name: "")
        case .graph(let v): proto.type = .graph; proto.g = graph(from: v)
        case .floats(let v): proto.type = .floats; proto.floats = v
        case .ints(let v): proto.type = .ints; proto.ints = v
        case .strings(let v): proto.type = .strings; proto.strings = v.map { Data($0.utf8) }
        case .tensors(let v): proto.type = .tensors; proto.tensors = v.map { ONNXTensorCoding.proto(from: $0, name: "") }
        case .graphs(let v): proto.type = .graphs; proto.graphs = v.map { graph(from: $0) }
        }
        return proto
    }

    func valueInfo(from info: ValueInfo) -> Onnx_ValueInfoProto {
        var proto = Onnx_ValueInfoProto()
        proto.name = info.name
        if !info.docString.isEmpty { proto.docString = info.docString }
        guard let dtype = info.dtype else { return proto }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = ONNXDataType.number(dtype)
        if let shape = info.shape {
            var shapeProto = Onnx_TensorShapeProto()
            shapeProto.dim = shape.map { dimension in
                var dim = Onnx_TensorShapeProto.Dimension()
                switch dimension {
                case .known(let v): dim.dimValue = Int64(v)
                case .symbolic(let p): dim.dimParam = p
                case .unknown: break
                }
                return dim
            }
            tensorType.shape = shapeProto
        }
        proto.type.tensorType = tensorType
        return proto
    }
}
