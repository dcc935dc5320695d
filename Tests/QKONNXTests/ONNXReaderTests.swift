import Foundation
import QKGraph
import QKTensor
import Testing
import QKONNX

/// Values read from files whose contents are known independently: the hand-built resources of
/// make_resources.py (values hard-coded from that script) and ONNX node tests (values printed with onnx's
/// numpy_helper).
@Suite struct ONNXReaderTests {
    @Test func typedFieldsAndRawDataDecodeToTheValuesWritten() throws {
        let graph = try ONNXReader.readModel(atPath: TestResources.path("typed_fields.onnx")).graph
        let expected: [String: Tensor] = [
            "f32_typed": Tensor(shape: [2, 2], values: [Float(1.5), -2.25, 0, 1024]),
            "f32_raw": Tensor(shape: [3], values: [Float(0.5), -1, 3.25]),
            "f64_typed": Tensor(shape: [2], values: [0.1, -1e300]),
            "i64_typed": Tensor(shape: [4], values: [Int64.min, -1, 0, Int64.max]),
            "i32_typed": Tensor(shape: [2], values: [Int32.min, 7]),
            "i16_typed": Tensor(shape: [2], values: [Int16(-32768), 32767]),
            "u16_typed": Tensor(shape: [2], values: [UInt16(0), 65535]),
            "i8_typed": Tensor(shape: [2], values: [Int8(-128), 127]),
            "u8_typed": Tensor(shape: [3], values: [UInt8(0), 1, 255]),
            "bool_typed": Tensor(shape: [3], values: [true, false, true]),
            "f16_typed": Tensor(shape: [3], values: [0x3C00, 0xB800, 0x7BFF].map { Float16(bitPattern: $0) }),
            "bf16_typed": Tensor(shape: [2], values: [0x3F80, 0xC040].map { BFloat16(bitPattern: $0) }),
            "i64_scalar_raw": Tensor(scalar: Int64(42)),
            "f32_empty": Tensor(zeros: .float32, shape: [0, 3]),
        ]
        #expect(graph.initializers == expected)
        #expect(graph.initializers["f16_typed"]?.values(as: Float16.self) == [1, -0.5, 65504])
        #expect(graph.initializers["bf16_typed"]?.values(as: BFloat16.self)?.map(\.floatValue) == [1, -3])
    }

    @Test func modelFieldsShapesAndEveryAttributeTypeAreRead() throws {
        let model = try ONNXReader.readModel(atPath: TestResources.path("features.onnx"))
        let one = [QKGraph.Dimension.known(1)]
        let sub = Graph(name: "sub", nodes: [Node(name: "", opType: "Neg", inputs: ["s"], outputs: ["s2"])],
                        inputs: [ValueInfo(name: "s", dtype: .float32, shape: one)],
                        outputs: [ValueInfo(name: "s2", dtype: .float32, shape: one)])
        var subB = sub
        subB.name = "sub_b"
        subB.nodes[0].opType = "Abs"
        subB.initializers = ["k": Tensor(shape: [1], values: [Int64(5)])]
        let custom = Node(
            name: "custom", opType: "AllAttributes", domain: "com.quantkit.test", inputs: ["t"], outputs: ["y"],
            attributes: [
                "f": .float(0.25), "i": .int(-3), "s": .string("text"),
                "t": .tensor(Tensor(shape: [2], values: [Int32(4), -4])), "g": .graph(sub),
                "fs": .floats([1, 2.5]), "is_": .ints([1, 2, 3]), "ss": .strings(["a", "bc"]),
                "ts": .tensors([Tensor(shape: [1], values: [Float(9)]), Tensor(shape: [1, 2], values: [UInt8(1), 2])]),
                "gs": .graphs([sub, subB]),
            ])
        let relu = Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["t"], docString: "node doc")
        let shape: [QKGraph.Dimension] = [.symbolic("batch"), .known(3), .unknown]
        let graph = Graph(
            name: "features", nodes: [relu, custom],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: shape, docString: "input doc")],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: shape, docString: "output doc")],
            valueInfo: [ValueInfo(name: "t", dtype: .float32, shape: nil)], docString: "graph doc")
        let expected = Model(
            graph: graph, irVersion: 9,
            opsetImports: [OpsetImport(domain: "", version: 17), OpsetImport(domain: "com.quantkit.test", version: 1)],
            producerName: "make_resources.py", producerVersion: "1.0", domain: "ai.quantkit.test", modelVersion: 7,
            docString: "model doc", metadata: [(key: "author", value: "QuantKit"), (key: "license", value: "MIT")])
        #expect(model == expected)
    }

    @Test func externalDataSavedByOnnxIsRead() throws {
        let graph = try ONNXReader.readModel(atPath: TestResources.path("external.onnx")).graph
        #expect(graph.initializers["w"] == Tensor(shape: [3, 4], values: (0..<12).map { Float($0) * 0.5 }))
        #expect(graph.initializers["b"] == Tensor(shape: [3], values: [Int64(-1), 2, -3]))
    }

    @Test func nodeTestInputTensorIsRead() throws {
        let (name, tensor) = try ONNXReader.readTensor(atPath: TestResources.path("test_conv_with_strides_padding_input_0.pb"))
        #expect(name == "x")
        #expect(tensor == Tensor(shape: [1, 1, 7, 5], values: (0..<35).map { Float($0) }))
    }

    @Test func nodeTestModelStructure() throws {
        let model = try ONNXReader.readModel(atPath: TestResources.path("test_conv_with_strides_padding.onnx"))
        #expect(model.irVersion == 10)
        #expect(model.opsetImports == [OpsetImport(domain: "", version: 22)])
        #expect(model.producerName == "backend-test")
        #expect(model.graph.inputs.map(\.typeDescription) == ["float32[1, 1, 7, 5]", "float32[1, 1, 3, 3]"])
        #expect(model.graph.outputs.map(\.typeDescription) == ["float32[1, 1, 4, 3]"])
        let conv = try #require(model.graph.nodes.first)
        #expect(conv.opType == "Conv" && conv.inputs == ["x", "W"] && conv.outputs == ["y"])
        #expect(conv.attributes == ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])])
    }

    @Test func valueTypesOfEveryDtypeAndSubgraphsAreRead() throws {
        let fp16 = try ONNXReader.readModel(atPath: TestResources.path("test_cast_FLOAT_to_FLOAT16.onnx")).graph
        #expect(fp16.outputs.first?.dtype == .float16)
        #expect(fp16.nodes.first?.attributes["to"] == .int(10))
        let bf16 = try ONNXReader.readModel(atPath: TestResources.path("test_cast_FLOAT_to_BFLOAT16.onnx")).graph
        #expect(bf16.outputs.first?.typeDescription == "bfloat16[3, 4]")
        let and = try ONNXReader.readModel(atPath: TestResources.path("test_and2d.onnx")).graph
        #expect(and.inputs.map(\.dtype) == [.bool, .bool])

        let ifModel = try ONNXReader.readModel(atPath: TestResources.path("test_if.onnx")).graph
        #expect(ifModel.inputs.first?.typeDescription == "bool[]")
        guard case .graph(let thenBranch)? = ifModel.nodes.first?.attributes["then_branch"] else {
            Issue.record("then_branch is not a graph attribute")
            return
        }
        #expect(thenBranch.name == "then_body")
        #expect(thenBranch.nodes.count == 1)

        let loop = try ONNXReader.readModel(atPath: TestResources.path("test_loop11.onnx")).graph
        guard case .graph(let body)? = loop.nodes.first?.attributes["body"] else {
            Issue.record("body is not a graph attribute")
            return
        }
        #expect(body.name == "loop_body")
        #expect(body.nodes.count == 9)
    }

    @Test func attributeTensorsInTypedFields() throws {
        let constant = try ONNXReader.readModel(atPath: TestResources.path("test_constantofshape_int_zeros.onnx")).graph
        #expect(constant.nodes.first?.attributes["value"] == .tensor(Tensor(shape: [1], values: [Int32(0)])))
        #expect(constant.inputs.first?.typeDescription == "int64[2]")

        let tree = try ONNXReader.readModel(atPath: TestResources.path("test_ai_onnx_ml_tree_ensemble_single_tree.onnx"))
        #expect(tree.opsetImports == [OpsetImport(domain: "ai.onnx.ml", version: 5)])
        let node = try #require(tree.graph.nodes.first)
        #expect(node.domain == "ai.onnx.ml")
        #expect(node.attributes["leaf_weights"] == .tensor(Tensor(shape: [4], values: [5.23, 12.12, -12.23, 7.21])))
        #expect(node.attributes["nodes_splits"] == .tensor(Tensor(shape: [3], values: [3.14, 1.2, 4.2])))
        #expect(node.attributes["nodes_modes"] == .tensor(Tensor(shape: [3], values: [UInt8(0), 0, 0])))
        #expect(node.attributes["tree_roots"] == .ints([0]))
    }

    @Test func unsupportedValueTypesLoadWithoutDtype() throws {
        let strings = try ONNXReader.readModel(atPath: TestResources.path(
            "test_strnormalizer_export_monday_casesensintive_lower.onnx")).graph
        #expect(strings.inputs.first?.dtype == nil)
        #expect(strings.inputs.first?.shape == [.known(4)])
        #expect(strings.nodes.first?.attributes["stopwords"] == .strings(["monday"]))
        let sequences = try ONNXReader.readModel(atPath: TestResources.path("test_sequence_map_identity_1_sequence.onnx")).graph
        #expect(sequences.inputs.first?.dtype == nil)
        #expect(sequences.inputs.first?.shape == nil)
    }
}
