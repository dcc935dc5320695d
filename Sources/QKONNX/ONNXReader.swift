import Foundation
import QKGraph
import QKTensor
import SwiftProtobuf

/// Reads ONNX models and serialized tensors into QuantKit's IR.
public enum ONNXReader {
    /// Reads the model at `path`; external data is resolved relative to the model's directory.
    /// Throws ``ONNXError`` naming the file for a missing, empty, truncated or non-ONNX file.
    public static func readModel(atPath path: String) throws -> Model {
        let bytes = try readFile(path)
        let directory = (path as NSString).deletingLastPathComponent
        return try model(from: bytes, path: path, baseDirectory: directory.isEmpty ? "." : directory)
    }

    /// Decodes a serialized `ModelProto`. `path` only names the source in errors; external data is read
    /// relative to `baseDirectory` (refused when nil).
    public static func model(from bytes: Data, path: String = "<memory>", baseDirectory: String?) throws -> Model {
        guard !bytes.isEmpty else { throw ONNXError.emptyFile(path: path) }
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw ONNXError.notProtobuf(path: path, reason: "\(error)")
        }
        guard proto.hasGraph else { throw ONNXError.missingGraph(path: path) }
        guard proto.functions.isEmpty else {
            throw ONNXError.modelFunctions(path: path, names: proto.functions.map(\.name))
        }
        let decoder = ModelDecoder(tensors: ONNXTensorCoding(path: path, baseDirectory: baseDirectory))
        return Model(
            graph: try decoder.graph(from: proto.graph),
            irVersion: proto.irVersion,
            opsetImports: proto.opsetImport.map { OpsetImport(domain: $0.domain, version: $0.version) },
            producerName: proto.producerName,
            producerVersion: proto.producerVersion,
            domain: proto.domain,
            modelVersion: proto.modelVersion,
            docString: proto.docString,
            metadata: proto.metadataProps.map { (key: $0.key, value: $0.value) })
    }

    /// Reads a file holding one serialized `TensorProto` (as the ONNX backend tests' `input_0.pb`).
    public static func readTensor(atPath path: String) throws -> (name: String, tensor: Tensor) {
        let bytes = try readFile(path)
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: bytes)
        } catch {
            throw ONNXError.notProtobuf(path: path, reason: "\(error)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let coding = ONNXTensorCoding(path: path, baseDirectory: directory.isEmpty ? "." : directory)
        return (proto.name, try coding.tensor(from: proto))
    }

    private static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ONNXError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw ONNXError.unreadable(path: path, reason: "it is a directory") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ONNXError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard !data.isEmpty else { throw ONNXError.emptyFile(path: path) }
        return data
    }
}

/// Converts protobuf graphs, nodes, attributes and value infos into IR values.
private struct ModelDecoder {
    let tensors: ONNXTensorCoding

    func graph(from proto: Onnx_GraphProto) throws -> Graph {
        if let sparse = proto.sparseInitializer.first {
            throw ONNXError.unsupportedDataType(path: tensors.path, tensor: sparse.values.name + " (sparse initializer)",
                                                dataType: sparse.values.dataType)
        }
        var initializers: [String: Tensor] = [:]
        for initializer in proto.initializer {
            initializers[initializer.name] = try tensors.tensor(from: initializer)
        }
        return Graph(
            name: proto.name,
            nodes: try proto.node.map(node),
            inputs: proto.input.map(valueInfo),
            outputs: proto.output.map(valueInfo),
            initializers: initializers,
            valueInfo: proto.valueInfo.map(valueInfo),
            docString: proto.docString)
    }

    func node(from proto: Onnx_NodeProto) throws -> Node {
        var node = Node(name: proto.name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                        outputs: proto.output, docString: proto.docString)
        for attribute in proto.attribute {
            node.attributes[attribute.name] = try self.attribute(from: attribute, node: node.displayName)
        }
        return node
    }

    func attribute(from proto: Onnx_AttributeProto, node: String) throws -> Attribute {
        func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
        switch inferredType(of: proto) {
        case .float: return .float(proto.f)
        case .int: return .int(proto.i)
        case .string: return .string(text(proto.s))
        case .tensor: return .tensor(try tensors.tensor(from: proto.t))
        case .graph: return .graph(try graph(from: proto.g))
        case .floats: return .floats(proto.floats)
        case .ints: return .ints(proto.ints)
        case .strings: return .strings(proto.strings.map(text))
        case .tensors: return .tensors(try proto.tensors.map { try tensors.tensor(from: $0) })
        case .graphs: return .graphs(try proto.graphs.map(graph))
        case let other:
            throw ONNXError.unsupportedAttribute(path: tensors.path, node: node, attribute: proto.name,
                                                 type: "\(other)".uppercased())
        }
    }

    /// The attribute's declared type, or for old files without one, the type of the field that is set.
    private func inferredType(of proto: Onnx_AttributeProto) -> Onnx_AttributeProto.AttributeType {
        if proto.hasType && proto.type != .undefined { return proto.type }
        if proto.hasF { return .float }
        if proto.hasI { return .int }
        if proto.hasS { return .string }
        if proto.hasT { return .tensor }
        if proto.hasG { return .graph }
        if !proto.floats.isEmpty { return .floats }
        if !proto.ints.isEmpty { return .ints }
        if !proto.strings.isEmpty { return .strings }
        if !proto.tensors.isEmpty { return .tensors }
        if !proto.graphs.isEmpty { return .graphs }
        return .undefined
    }

    func valueInfo(from proto: Onnx_ValueInfoProto) -> ValueInfo {
        guard proto.hasType, case .tensorType(let tensorType)? = proto.type.value else {
            return ValueInfo(name: proto.name, dtype: nil, shape: nil, docString: proto.docString)
        }
        let shape: [QKGraph.Dimension]? = tensorType.hasShape ? tensorType.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let v)?: .known(Int(v))
            case .dimParam(let p)? where !p.isEmpty: .symbolic(p)
            default: .unknown
            }
        } : nil
        return ValueInfo(name: proto.name, dtype: ONNXDataType.dtype(tensorType.elemType), shape: shape,
                         docString: proto.docString)
    }
}
