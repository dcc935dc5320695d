import QKGraph
import QKTensor

/// Converts decoded protobuf messages into the QuantKit IR. `file` names the source in errors; external
/// tensor data is resolved by `externalData`.
final class ModelDecoder {
    let file: String
    let externalData: ExternalDataReader

    init(file: String, baseDirectory: String?) {
        self.file = file
        externalData = ExternalDataReader(file: file, baseDirectory: baseDirectory)
    }

    func model(_ proto: Onnx_ModelProto) throws -> Model {
        if let function = proto.functions.first {
            throw ONNXError.unsupportedFeature(
                file: file, feature: "model-local functions are not supported (function '\(function.name)')")
        }
        guard proto.hasGraph else { throw ONNXError.missingGraph(file: file) }
        return Model(
            graph: try graph(proto.graph),
            irVersion: proto.irVersion,
            opsetImports: proto.opsetImport.map { OpsetImport(domain: $0.domain, version: $0.version) },
            producerName: proto.producerName,
            producerVersion: proto.producerVersion,
            domain: proto.domain,
            modelVersion: proto.modelVersion,
            docString: proto.docString,
            metadata: proto.metadataProps.map { (key: $0.key, value: $0.value) })
    }

    func graph(_ proto: Onnx_GraphProto) throws -> Graph {
        if let sparse = proto.sparseInitializer.first {
            throw ONNXError.unsupportedFeature(
                file: file, feature: "sparse initializers are not supported (initializer '\(sparse.values.name)' "
                    + "in graph '\(proto.name)')")
        }
        var initializers: [String: Tensor] = [:]
        for initializer in proto.initializer {
            guard initializers[initializer.name] == nil else {
                throw ONNXError.invalidModel(
                    file: file, reason: "graph '\(proto.name)' has two initializers named '\(initializer.name)'")
            }
            initializers[initializer.name] = try tensor(initializer, label: "'\(initializer.name)'")
        }
        return Graph(
            name: proto.name,
            nodes: try proto.node.map(node),
            inputs: try proto.input.map(valueInfo),
            outputs: try proto.output.map(valueInfo),
            initializers: initializers,
            valueInfo: try proto.valueInfo.map(valueInfo),
            docString: proto.docString)
    }

    func node(_ proto: Onnx_NodeProto) throws -> Node {
        var result = Node(name: proto.name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                          outputs: proto.output, docString: proto.docString)
        for attribute in proto.attribute {
            guard result.attributes[attribute.name] == nil else {
                throw ONNXError.invalidModel(
                    file: file, reason: "node '\(result.displayName)' has two attributes named '\(attribute.name)'")
            }
            result.attributes[attribute.name] = try self.attribute(attribute, node: result.displayName)
        }
        return result
    }

    private static let unsupportedAttributeTypeNames: [Onnx_AttributeProto.AttributeType: String] = [
        .sparseTensor: "SPARSE_TENSOR", .sparseTensors: "SPARSE_TENSORS", .typeProto: "TYPE_PROTO",
        .typeProtos: "TYPE_PROTOS",
    ]

    func attribute(_ proto: Onnx_AttributeProto, node: String) throws -> Attribute {
        let tensorLabel = "in attribute '\(proto.name)' of node '\(node)'"
        switch proto.type {
        case .float: return .float(proto.f)
        case .int: return .int(proto.i)
        case .string: return .string(String(decoding: proto.s, as: UTF8.self))
        case .tensor: return .tensor(try tensor(proto.t, label: tensorLabel))
        case .graph: return .graph(try graph(proto.g))
        case .floats: return .floats(proto.floats)
        case .ints: return .ints(proto.ints)
        case .strings: return .strings(proto.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensors: return .tensors(try proto.tensors.map { try tensor($0, label: tensorLabel) })
        case .graphs: return .graphs(try proto.graphs.map(graph))
        case .undefined:
            throw ONNXError.invalidModel(
                file: file, reason: "node '\(node)': attribute '\(proto.name)' has no type")
        case .sparseTensor, .sparseTensors, .typeProto, .typeProtos:
            throw ONNXError.unsupportedAttribute(file: file, node: node, attribute: proto.name,
                                                 type: Self.unsupportedAttributeTypeNames[proto.type, default: "?"])
        }
    }

    /// A value's declared type. A tensor of an unsupported element type keeps its shape with a nil dtype;
    /// a non-tensor type (sequence, map, optional, …) or a missing type gives nil dtype and shape.
    func valueInfo(_ proto: Onnx_ValueInfoProto) throws -> ValueInfo {
        guard case .tensorType(let type)? = proto.type.value else {
            return ValueInfo(name: proto.name, dtype: nil, shape: nil, docString: proto.docString)
        }
        let shape = type.hasShape ? type.shape.dim.map(dimension) : nil
        return ValueInfo(name: proto.name, dtype: ONNXDataType.dtypeForCode[type.elemType], shape: shape,
                         docString: proto.docString)
    }

    private func dimension(_ proto: Onnx_TensorShapeProto.Dimension) -> Dimension {
        switch proto.value {
        case .dimValue(let v) where v >= 0: .known(Int(v))
        case .dimParam(let name) where !name.isEmpty: .symbolic(name)
        default: .unknown
        }
    }
}
