import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

/// read → write → read gives an equal model, and writing is deterministic.
@Suite struct ONNXRoundTripTests {
    static let models = [
        "test_conv_with_strides_padding.onnx", "test_gemm_default_single_elem_vector_bias.onnx", "test_if.onnx",
        "test_loop11.onnx", "test_scan9_sum.onnx", "test_cast_FLOAT_to_FLOAT16.onnx",
        "test_cast_FLOAT_to_BFLOAT16.onnx", "test_constantofshape_int_zeros.onnx",
        "test_ai_onnx_ml_tree_ensemble_single_tree.onnx", "test_sequence_map_identity_1_sequence.onnx",
        "test_and2d.onnx", "test_flexattention_causal_mask.onnx",
        "test_strnormalizer_export_monday_casesensintive_lower.onnx", "typed_fields.onnx", "features.onnx",
        "external.onnx",
    ]

    @Test(arguments: models)
    func serializeAndDecodeGivesTheSameModel(name: String) throws {
        let model = try ONNXReader.readModel(atPath: TestResources.path(name))
        let bytes = try ONNXWriter.serialize(model)
        let again = try ONNXReader.model(from: bytes, baseDirectory: nil)
        #expect(again == model)
        // Deterministic: the same model serializes to the same bytes, also after a round trip.
        #expect(try ONNXWriter.serialize(model) == bytes)
        #expect(try ONNXWriter.serialize(again) == bytes)
    }

    @Test(arguments: models)
    func writeAndReadFileGivesTheSameModel(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let model = try ONNXReader.readModel(atPath: TestResources.path(name))
        let path = directory.file("model.onnx")
        try ONNXWriter.write(model, toPath: path)
        #expect(try ONNXReader.readModel(atPath: path) == model)
        // Only the model file: no side file without a threshold, no temporary files left behind.
        #expect(try directory.contents() == ["model.onnx"])
    }

    @Test func initializersAndAttributesAreWrittenSortedByName() throws {
        let node = Node(name: "n", opType: "Custom", domain: "x", inputs: ["a"], outputs: ["b"],
                        attributes: ["zeta": .int(1), "alpha": .float(2), "mid": .string("m")])
        let graph = Graph(name: "g", nodes: [node], initializers: [
            "w2": Tensor(shape: [1], values: [Float(2)]), "w1": Tensor(shape: [1], values: [Float(1)]),
            "a0": Tensor(shape: [1], values: [Int64(3)]),
        ])
        let proto = try Onnx_ModelProto(serializedBytes: try ONNXWriter.serialize(Model(graph: graph)))
        #expect(proto.graph.initializer.map(\.name) == ["a0", "w1", "w2"])
        #expect(proto.graph.node[0].attribute.map(\.name) == ["alpha", "mid", "zeta"])
        // Elements in raw_data, little-endian: Float(2) = 0x40000000.
        #expect(proto.graph.initializer[2].rawData == Data([0, 0, 0, 0x40]))
        #expect(proto.graph.initializer[2].floatData.isEmpty)
    }

    @Test func serializedTensorReadsBack() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tensor = Tensor(shape: [2, 2], values: [Float16(1), Float16(-2), Float16(0.5), Float16(65504)])
        let path = directory.file("input_0.pb")
        try Data(try ONNXWriter.serializeTensor(tensor, name: "x")).write(to: URL(fileURLWithPath: path))
        let read = try ONNXReader.readTensor(atPath: path)
        #expect(read.name == "x")
        #expect(read.tensor == tensor)
    }
}
