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
        "test_ai_onnx_ml_tree_ensemble_single_tree.onnx", "test_and2d.onnx", "test_flexattention_causal_mask.onnx",
        "typed_fields.onnx", "features.onnx", "external.onnx",
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

    /// The repository's real fixture models (a CNN and a small transformer encoder) through files.
    @Test(arguments: ["digits/model.onnx", "encoder/model.onnx"])
    func fixtureModelsRoundTripThroughFiles(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try ONNXReader.readModel(atPath: TestResources.fixture(name))
        let path = directory.file("copy.onnx")
        try ONNXWriter.write(original, toPath: path)
        #expect(try ONNXReader.readModel(atPath: path) == original)
        #expect(try ONNXWriter.serialize(original) == ONNXWriter.serialize(ONNXReader.readModel(atPath: path)))
        #expect(try directory.contents() == ["copy.onnx"])
    }

    /// With a 1 KiB threshold the encoder's weights move to the side file and the model file stays small.
    @Test func fixtureWithExternalDataRoundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try ONNXReader.readModel(atPath: TestResources.fixture("encoder/model.onnx"))
        let path = directory.file("external.onnx")
        try ONNXWriter.write(original, toPath: path, externalDataThreshold: 1024)
        let modelBytes = try TestResources.bytesAt(path).count
        let sideBytes = try TestResources.bytesAt(path + ".data").count
        #expect(modelBytes < 64 * 1024 && sideBytes > 600_000)
        #expect(try ONNXReader.readModel(atPath: path) == original)
    }

    /// Values read with `dtype == nil` (a sequence input, a string input) cannot be written as valid ONNX.
    @Test func untypedGraphInputsAreNotWritten() throws {
        let sequences = try ONNXReader.readModel(atPath: TestResources.path("test_sequence_map_identity_1_sequence.onnx"))
        #expect(throws: ONNXError.untypedValue(value: "input 'x' of graph 'test_sequence_map_identity_1_sequence'")) {
            try ONNXWriter.serialize(sequences)
        }
        let strings = try ONNXReader.readModel(atPath: TestResources.path(
            "test_strnormalizer_export_monday_casesensintive_lower.onnx"))
        #expect(throws: ONNXError.untypedValue(
            value: "input 'x' of graph 'test_strnormalizer_export_monday_casesensintive_lower'")) {
            try ONNXWriter.serialize(strings)
        }
    }

    /// value_info entries are optional hints: those without an element type are left out, the others kept.
    @Test func untypedValueInfoIsLeftOut() throws {
        var graph = Graph(name: "g", nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                          inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.known(2)])],
                          outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)])
        graph.valueInfo = [ValueInfo(name: "a", dtype: nil, shape: [.known(2)]), ValueInfo(name: "b", dtype: .int8, shape: [])]
        let read = try ONNXReader.model(from: try ONNXWriter.serialize(Model(graph: graph)), baseDirectory: nil)
        #expect(read.graph.valueInfo == [ValueInfo(name: "b", dtype: .int8, shape: [])])
        #expect(read.graph.outputs == graph.outputs)
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

    /// TensorProto.DataType codes from onnx.proto: FLOAT=1 UINT8=2 INT8=3 UINT16=4 INT16=5 INT32=6 INT64=7
    /// BOOL=9 FLOAT16=10 DOUBLE=11 BFLOAT16=16 UINT4=21 INT4=22.
    @Test func dataTypeCodesMatchONNX() throws {
        let expected: [DType: Int32] = [.float32: 1, .uint8: 2, .int8: 3, .uint16: 4, .int16: 5, .int32: 6, .int64: 7,
                                        .bool: 9, .float16: 10, .float64: 11, .bfloat16: 16, .uint4: 21, .int4: 22]
        #expect(Set(expected.keys) == Set(DType.allCases))
        for (dtype, code) in expected {
            let bytes = try ONNXWriter.serializeTensor(Tensor(zeros: dtype, shape: [2]), name: "t")
            let proto = try Onnx_TensorProto(serializedBytes: bytes)
            #expect(proto.dataType == code, "\(dtype)")
            #expect(proto.rawData.count == dtype.storedByteCount(2))
        }
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
