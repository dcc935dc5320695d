import Foundation
import Testing
import QKTensor
@testable import QKGraph

/// Compares our inference with `onnx.shape_inference` on a BERT-like attention block.
///
/// `Resources/make_shape_cases.py` builds the model with onnx.helper, runs onnx's inference (strict, with data
/// propagation) and writes a JSON description of the graph plus the shapes onnx inferred. This test decodes the
/// description into a ``Model`` and checks every value onnx knows: dtype, rank, each known size and each
/// symbol from the graph (onnx's own invented `unk__N` symbols mean "unknown" and are not compared).
@Suite struct ShapeInferenceONNXComparisonTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    /// One dimension in the JSON files: a size, a dim_param, or null.
    enum JSONDimension: Decodable, Equatable {
        case value(Int), parameter(String), none

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .none }
            else if let value = try? container.decode(Int.self) { self = .value(value) }
            else { self = .parameter(try container.decode(String.self)) }
        }

        var dimension: QKGraph.Dimension {
            switch self {
            case .value(let n): .known(n)
            case .parameter(let name): .symbolic(name)
            case .none: .unknown
            }
        }
    }

    struct JSONTensor: Decodable {
        let dtype: DType
        let dims: [Int]
        let values: [Double]?

        /// The tensor; large initializers are stored without values and become zeros of the right shape.
        var tensor: Tensor {
            guard let values else { return Tensor(zeros: dtype, shape: dims) }
            return Tensor(shape: dims, values: values).converted(to: dtype)
        }
    }

    struct JSONAttribute: Decodable {
        let int: Int64?, ints: [Int64]?, float: Float?, floats: [Float]?, string: String?, tensor: JSONTensor?

        var attribute: Attribute? {
            if let int { return .int(int) }
            if let ints { return .ints(ints) }
            if let float { return .float(float) }
            if let floats { return .floats(floats) }
            if let string { return .string(string) }
            return tensor.map { .tensor($0.tensor) }
        }
    }

    struct JSONGraph: Decodable {
        struct Opset: Decodable { let domain: String, version: Int64 }
        struct Input: Decodable { let name: String, dtype: DType, dims: [JSONDimension]? }
        struct JSONNode: Decodable {
            let name: String, op: String, domain: String, inputs: [String], outputs: [String]
            let attributes: [String: JSONAttribute]
        }
        let opset: [Opset]
        let inputs: [Input]
        let outputs: [String]
        let initializers: [String: JSONTensor]
        let nodes: [JSONNode]

        var model: Model {
            let nodes = nodes.map { node in
                Node(name: node.name, opType: node.op, domain: node.domain, inputs: node.inputs, outputs: node.outputs,
                     attributes: node.attributes.compactMapValues(\.attribute))
            }
            let graph = Graph(
                name: "attention_block", nodes: nodes,
                inputs: inputs.map { ValueInfo(name: $0.name, dtype: $0.dtype, shape: $0.dims?.map(\.dimension)) },
                outputs: outputs.map { ValueInfo(name: $0, dtype: nil, shape: nil) },
                initializers: initializers.mapValues(\.tensor))
            return Model(graph: graph, opsetImports: opset.map { OpsetImport(domain: $0.domain, version: $0.version) })
        }
    }

    struct Expected: Decodable {
        let dtype: DType?
        let dims: [JSONDimension]?
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: resources.appendingPathComponent(name)))
    }

    /// The cases `make_shape_cases.py` writes, with the least number of values and dimensions each must compare.
    static let cases: [(name: String, values: Int, dimensions: Int)] = [("attention_block", 80, 150), ("encoder", 85, 150)]

    @Test(arguments: cases)
    func matchesONNXShapeInference(_ name: String, values: Int, dimensions: Int) throws {
        let model = try Self.load("\(name).graph.json", as: JSONGraph.self).model
        let expected = try Self.load("\(name).shapes.json", as: [String: Expected].self)
        let inferred = try ShapeInference.infer(model)

        var mismatches: [String] = []
        var comparedDimensions = 0
        for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
            guard let ours = inferred[name] else {
                mismatches.append("\(name): not inferred")
                continue
            }
            if let dtype = reference.dtype, ours.dtype != dtype {
                mismatches.append("\(name): dtype \(ours.dtype.map(\.rawValue) ?? "?"), onnx \(dtype)")
            }
            guard let dims = reference.dims else { continue }
            guard let shape = ours.shape, shape.count == dims.count else {
                mismatches.append("\(name): shape \(ours.typeDescription), onnx rank \(dims.count)")
                continue
            }
            for (dim, reference) in zip(shape, dims) {
                if case .parameter(let symbol) = reference, symbol.hasPrefix("unk__") { continue }
                if reference == .none { continue }
                comparedDimensions += 1
                if dim != reference.dimension {
                    mismatches.append("\(name): \(ours.typeDescription), onnx \(dims.map(\.dimension))")
                    break
                }
            }
        }
        #expect(mismatches == [])
        #expect(expected.count >= values)
        #expect(comparedDimensions >= dimensions)
    }

    /// Where onnx gives up, the symbol algebra still knows: the merged heads are
    /// batch·sequence·4·16 / (batch·sequence) = 64, and Gather of the shape gives the head size 16 exactly.
    @Test func attentionBlockBeyondONNX() throws {
        let model = try Self.load("attention_block.graph.json", as: JSONGraph.self).model
        let values = try ShapeInference.inferValues(model)
        #expect(values["context_merged"]?.shape == [.symbolic("batch"), .symbolic("sequence"), .known(64)])
        #expect(values["heads_shape"]?.data == [.symbolic("batch"), .symbolic("sequence"), .known(4), .known(16)])
        #expect(values["head_dim"]?.data == [.known(16)])
        let filled = try model.withInferredShapes()
        #expect(filled.graph.valueInfo.count == model.graph.nodes.flatMap(\.outputs).count - model.graph.outputs.count)
    }

    /// Position ids are Range(0, sequence, 1), so every hidden state of the encoder fixture stays
    /// [batch, sequence, 64] where onnx loses the sequence length after the position embedding.
    @Test func encoderKeepsTheSequenceSymbol() throws {
        let model = try Self.load("encoder.graph.json", as: JSONGraph.self).model
        let inferred = try ShapeInference.infer(model)
        let hidden: [QKGraph.Dimension] = [.symbolic("batch"), .symbolic("sequence"), .known(64)]
        #expect(inferred["last_hidden_state"]?.shape == hidden)
        let layerNorms = model.graph.nodes.filter { $0.opType == "LayerNormalization" }.flatMap(\.outputs)
        #expect(layerNorms.count == 5)
        #expect(layerNorms.allSatisfy { inferred[$0]?.shape == hidden })
        let scores = model.graph.nodes.filter { $0.opType == "Softmax" }.flatMap(\.outputs)
        #expect(!scores.isEmpty && scores.allSatisfy {
            inferred[$0]?.shape == [.symbolic("batch"), .known(4), .symbolic("sequence"), .symbolic("sequence")]
        })
    }
}
