import Foundation
import QKGraph
import QKTensor

/// Converts the QuantKit IR into protobuf messages. Initializers are written sorted by name and attributes
/// sorted by name, so equal models give equal bytes. Tensor elements go to `raw_data`, or to the side file
/// of `externalData` when one is given and the tensor is large enough.
struct ModelEncoder {
    /// protobuf's limit on a serialized message.
    static let messageLimit = Int(Int32.max)

    var externalData: ExternalDataWriter?
    /// Bytes of tensor data written inline so far, to fail early on models over the protobuf limit.
    private(set) var inlineBytes = 0

    init(externalData: ExternalDataWriter? = nil) {
        self.externalData = externalData
    }

    mutating func model(_ model: Model) throws -> Onnx_ModelProto {
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
        proto.graph = try graph(model.graph)
        return proto
    }

    mutating func graph(_ graph: Graph) throws -> Onnx_GraphProto {
        var proto = Onnx_GraphProto()
        proto.name = graph.name
        if !graph.docString.isEmpty { proto.docString = graph.docString }
        // Initializers first, so a graph's own tensors precede its subgraphs' tensors in the side file.
        proto.initializer = try graph.initializers.sorted { $0.key < $1.key }.map { name, value in
            try tensor(value, name: name, allowExternal: true)
        }
        proto.node = try graph.nodes.map { try node($0) }
        proto.input = try graph.inputs.map { try Self.typedValueInfo($0, role: "input", graph: graph.name) }
        proto.output = try graph.outputs.map { try Self.typedValueInfo($0, role: "output", graph: graph.name) }
        // value_info entries are hints: one without an element type would be invalid ONNX, so it is left out.
        proto.valueInfo = graph.valueInfo.compactMap { info in info.dtype.map { Self.valueInfo(info, dtype: $0) } }
        return proto
    }

    mutating func node(_ node: Node) throws -> Onnx_NodeProto {
        var proto = Onnx_NodeProto()
        proto.input = node.inputs
        proto.output = node.outputs
        if !node.name.isEmpty { proto.name = node.name }
        proto.opType = node.opType
        if !node.domain.isEmpty { proto.domain = node.domain }
        if !node.docString.isEmpty { proto.docString = node.docString }
        proto.attribute = try node.attributes.sorted { $0.key < $1.key }.map { try attribute($1, name: $0) }
        return proto
    }

    mutating func attribute(_ attribute: Attribute, name: String) throws -> Onnx_AttributeProto {
        var proto = Onnx_AttributeProto()
        proto.name = name
        switch attribute {
        case .float(let v): proto.type = .float; proto.f = v
        case .int(let v): proto.type = .int; proto.i = v
        case .string(let v): proto.type = .string; proto.s = Data(v.utf8)
        case .tensor(let v): proto.type = .tensor; proto.t = try tensor(v, name: "", allowExternal: false)
        case .graph(let v): proto.type = .graph; proto.g = try graph(v)
        case .floats(let v): proto.type = .floats; proto.floats = v
        case .ints(let v): proto.type = .ints; proto.ints = v
        case .strings(let v): proto.type = .strings; proto.strings = v.map { Data($0.utf8) }
        case .tensors(let v):
            proto.type = .tensors
            proto.tensors = try v.map { try tensor($0, name: "", allowExternal: false) }
        case .graphs(let v):
            proto.type = .graphs
            proto.graphs = try v.map { try graph($0) }
        }
        return proto
    }

    /// A tensor with its elements in raw_data, or in the external file when allowed and at least the
    /// threshold in size.
    mutating func tensor(_ tensor: Tensor, name: String, allowExternal: Bool) throws -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = ONNXDataType.code(for: tensor.dtype)
        if !name.isEmpty { proto.name = name }
        let bytes = tensor.littleEndianBytes
        if allowExternal, let externalData, externalData.accepts(byteCount: bytes.count) {
            let (offset, length) = try externalData.append(bytes)
            proto.dataLocation = .external
            proto.externalData = [("location", externalData.location), ("offset", "\(offset)"), ("length", "\(length)")]
                .map { key, value in
                    var entry = Onnx_StringStringEntryProto()
                    entry.key = key
                    entry.value = value
                    return entry
                }
        } else {
            inlineBytes += bytes.count
            guard inlineBytes < Self.messageLimit else { throw ONNXError.modelTooLarge(bytes: inlineBytes) }
            proto.rawData = Data(bytes)
        }
        return proto
    }

    /// A graph input or output, which ONNX requires to have an element type.
    static func typedValueInfo(_ info: ValueInfo, role: String, graph: String) throws -> Onnx_ValueInfoProto {
        guard let dtype = info.dtype else {
            throw ONNXError.untypedValue(value: "\(role) '\(info.name)' of graph '\(graph)'")
        }
        return valueInfo(info, dtype: dtype)
    }

    /// A tensor type of `dtype`; the shape is left out when unknown (nil), and each dimension is a
    /// dim_value, a dim_param, or neither (unknown).
    static func valueInfo(_ info: ValueInfo, dtype: DType) -> Onnx_ValueInfoProto {
        var proto = Onnx_ValueInfoProto()
        proto.name = info.name
        if !info.docString.isEmpty { proto.docString = info.docString }
        var type = Onnx_TypeProto.Tensor()
        type.elemType = ONNXDataType.code(for: dtype)
        if let shape = info.shape {
            type.shape.dim = shape.map { dimension in
                var proto = Onnx_TensorShapeProto.Dimension()
                switch dimension {
                case .known(let v): proto.dimValue = Int64(v)
                case .symbolic(let name): proto.dimParam = name
                case .unknown: break
                }
                return proto
            }
        }
        proto.type.tensorType = type
        return proto
    }
}
