import Testing
import QKTensor
@testable import QKGraph

/// Builders for the small hand-made graphs of the shape inference tests.
enum ShapeFixture {
    /// Dimensions from literals: an Int is known, "?" unknown, any other String symbolic.
    static func dims(_ items: Any...) -> [Dimension] { dims(items) }

    static func dims(_ items: [Any]) -> [Dimension] {
        items.map { item in
            switch item {
            case let n as Int: .known(n)
            case "?" as String: .unknown
            case let name as String: .symbolic(name)
            default: preconditionFailure("dimension literal \(item)")
            }
        }
    }

    static func input(_ name: String, _ dtype: DType, _ items: Any...) -> ValueInfo {
        ValueInfo(name: name, dtype: dtype, shape: dims(items))
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [String: Attribute] = [:],
                     domain: String = "") -> Node {
        Node(name: "\(op)_\(outputs.first ?? "")", opType: op, domain: domain, inputs: inputs, outputs: outputs,
             attributes: attributes)
    }

    static func int64s(_ values: Int64...) -> Tensor { Tensor(shape: [values.count], values: values) }

    static func model(_ nodes: [Node], inputs: [ValueInfo], initializers: [String: Tensor] = [:], opset: Int64 = 21,
                      outputs: [ValueInfo] = []) -> Model {
        Model(graph: Graph(nodes: nodes, inputs: inputs, outputs: outputs, initializers: initializers),
              opsetImports: [OpsetImport(domain: "", version: opset), OpsetImport(domain: "com.microsoft", version: 1)])
    }

    static func infer(_ nodes: [Node], inputs: [ValueInfo], initializers: [String: Tensor] = [:],
                      opset: Int64 = 21) throws -> [String: ValueInfo] {
        try ShapeInference.infer(model(nodes, inputs: inputs, initializers: initializers, opset: opset))
    }

    /// The shape inferred for `name` from a one-node graph.
    static func shape(of name: String, _ node: Node, inputs: [ValueInfo], initializers: [String: Tensor] = [:],
                      opset: Int64 = 21) throws -> [Dimension]? {
        try infer([node], inputs: inputs, initializers: initializers, opset: opset)[name]?.shape
    }

    /// The message of the ``GraphError/shapeInference(node:message:)`` thrown by `body`, or nil.
    static func failure(_ body: () throws -> Any) -> (node: String, message: String)? {
        do {
            _ = try body()
            return nil
        } catch GraphError.shapeInference(let node, let message) {
            return (node, message)
        } catch {
            return nil
        }
    }
}

@Suite struct ShapeInferenceTests {
    typealias F = ShapeFixture

    @Test func everyListedOperatorHasAShapeFunction() {
        let standard = """
            Conv ConvTranspose Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Neg Abs Reciprocal Relu LeakyRelu Clip \
            Sigmoid Tanh Erf Gelu HardSigmoid HardSwish Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool \
            GlobalMaxPool BatchNormalization LayerNormalization Flatten Reshape Transpose Squeeze Unsqueeze Concat \
            Split Slice Gather Shape Cast Constant ConstantOfShape Identity Dropout ReduceMean ReduceSum ReduceMax \
            ReduceMin Where Equal Less Greater Not Expand Range Pad Resize Floor Ceil Max Min ArgMax Tile \
            QuantizeLinear DequantizeLinear QLinearConv QLinearMatMul MatMulInteger ConvInteger DynamicQuantizeLinear
            """.split(separator: " ").map(String.init)
        let supported = ShapeInference.supportedOperators
        #expect(standard.filter { !(supported[""] ?? []).contains($0) } == [])
        #expect(["FusedConv", "FusedGemm"].allSatisfy { (supported["com.microsoft"] ?? []).contains($0) })
    }

    @Test func broadcastingFollowsONNXForSymbols() throws {
        let cases: [([Dimension], [Dimension], [Dimension])] = [
            (F.dims("batch", 1, 4), F.dims(3, 1), F.dims("batch", 3, 4)),
            (F.dims("batch", 4), F.dims("batch", 4), F.dims("batch", 4)),
            (F.dims("a", 4), F.dims("b", 4), F.dims("?", 4)),
            (F.dims("a", 4), F.dims(5, 1), F.dims(5, 4)),
            (F.dims("?"), F.dims(1), F.dims("?")),
            (F.dims(1), F.dims(1, 1), F.dims(1, 1)),
        ]
        for (a, b, expected) in cases {
            let inputs = [ValueInfo(name: "a", dtype: .float32, shape: a), ValueInfo(name: "b", dtype: .float32, shape: b)]
            #expect(try F.shape(of: "y", F.node("Add", ["a", "b"], ["y"]), inputs: inputs) == expected)
        }
    }

    @Test func broadcastingKnownMismatchThrowsNamingTheNode() {
        let failure = F.failure {
            try F.infer([F.node("Mul", ["a", "b"], ["y"])],
                        inputs: [F.input("a", .float32, 2, 3), F.input("b", .float32, 4)])
        }
        #expect(failure?.node == "Mul_y")
        #expect(failure?.message.contains("[2, 3]") == true && failure?.message.contains("[4]") == true)
    }

    @Test func comparisonsGiveBoolAndWhereTakesTheValueType() throws {
        let infos = try F.infer(
            [F.node("Less", ["a", "b"], ["less"]), F.node("Where", ["less", "c", "b"], ["chosen"]),
             F.node("Not", ["less"], ["negated"])],
            inputs: [F.input("a", .float32, "n", 1), F.input("b", .float32, 3), F.input("c", .float32, 1)])
        #expect(infos["less"]?.dtype == .bool && infos["less"]?.shape == F.dims("n", 3))
        #expect(infos["chosen"]?.dtype == .float32 && infos["chosen"]?.shape == F.dims("n", 3))
        #expect(infos["negated"]?.dtype == .bool)
    }

    @Test func moreElementwiseAndIndexingRows() throws {
        let infos = try F.infer(
            [F.node("GreaterOrEqual", ["a", "b"], ["ge"]), F.node("IsNaN", ["a"], ["nan"]),
             F.node("CastLike", ["a", "i"], ["like"]), F.node("GatherElements", ["a", "i"], ["ge_idx"]),
             F.node("ArgMin", ["a"], ["arg"], ["keepdims": .int(0)]), F.node("ReduceL2", ["a"], ["l2"])],
            inputs: [F.input("a", .float32, "n", 3), F.input("b", .float32, 3), F.input("i", .int64, "n", 2)])
        #expect(infos["ge"]?.dtype == .bool && infos["ge"]?.shape == F.dims("n", 3))
        #expect(infos["nan"]?.dtype == .bool)
        #expect(infos["like"]?.dtype == .int64 && infos["like"]?.shape == F.dims("n", 3))
        #expect(infos["ge_idx"]?.dtype == .float32 && infos["ge_idx"]?.shape == F.dims("n", 2))
        #expect(infos["arg"]?.shape == F.dims(3) && infos["arg"]?.dtype == .int64)
        #expect(infos["l2"]?.shape == F.dims(1, 1))
    }

    @Test func layerNormalizationStatisticsKeepLeadingAxes() throws {
        let infos = try F.infer(
            [F.node("LayerNormalization", ["x", "s"], ["y", "mean", "inv"], ["axis": .int(-2)])],
            inputs: [F.input("x", .float16, "b", 5, 8), F.input("s", .float16, 5, 8)])
        #expect(infos["y"]?.shape == F.dims("b", 5, 8) && infos["y"]?.dtype == .float16)
        #expect(infos["mean"]?.shape == F.dims("b", 1, 1) && infos["mean"]?.dtype == .float32)
    }

    @Test func unknownOperatorGivesUnknownOutputsWithoutFailing() throws {
        let infos = try F.infer(
            [F.node("MysteryOp", ["x"], ["m"], domain: "example.org"), F.node("Relu", ["m"], ["r"])],
            inputs: [F.input("x", .float32, 2)])
        #expect(infos["m"] == ValueInfo(name: "m", dtype: nil, shape: nil))
        #expect(infos["r"]?.shape == nil)
        #expect(infos["x"]?.shape == F.dims(2))
    }

    @Test func initializersAndInputsAreReported() throws {
        let infos = try F.infer([F.node("Add", ["x", "w"], ["y"])], inputs: [F.input("x", .float32, "n", 3)],
                                initializers: ["w": Tensor(shape: [3], values: [Float](repeating: 1, count: 3))])
        #expect(infos["w"]?.shape == F.dims(3) && infos["w"]?.dtype == .float32)
        #expect(infos["y"]?.shape == F.dims("n", 3))
    }

    @Test func nodesOutOfOrderAreInferredInDependencyOrder() throws {
        let infos = try F.infer([F.node("Relu", ["t"], ["y"]), F.node("Transpose", ["x"], ["t"])],
                                inputs: [F.input("x", .float32, 2, 3)])
        #expect(infos["y"]?.shape == F.dims(3, 2))
    }

    @Test func declaredTypesRefineUnknownPartsAndContradictionsThrow() throws {
        let nodes = [F.node("MysteryOp", ["x"], ["m"]), F.node("Relu", ["x"], ["r"])]
        var model = F.model(nodes, inputs: [F.input("x", .float32, "n", 4)],
                            outputs: [F.input("m", .int8, "n", 2), F.input("r", .float32, 7, 4)])
        let infos = try ShapeInference.infer(model)
        #expect(infos["m"]?.dtype == .int8 && infos["m"]?.shape == F.dims("n", 2))
        #expect(infos["r"]?.shape == F.dims(7, 4))
        model.graph.outputs[1] = F.input("r", .float32, 7, 5)
        #expect(F.failure { try ShapeInference.infer(model) }?.node == "Relu_r")
    }

    @Test func withInferredShapesFillsOnlyIntermediateValueInfo() throws {
        let nodes = [F.node("Transpose", ["x"], ["t"]), F.node("Relu", ["t"], ["y"])]
        let model = F.model(nodes, inputs: [F.input("x", .float32, "n", 3)],
                            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)])
        let filled = try model.withInferredShapes()
        #expect(filled.graph.valueInfo == [F.input("t", .float32, 3, "n")])
        var expected = model
        expected.graph.valueInfo = filled.graph.valueInfo
        #expect(filled == expected)
    }

    @Test func quantizationOperatorsFollowTheSpecDtypes() throws {
        let infos = try F.infer(
            [F.node("QuantizeLinear", ["x", "s", "zp"], ["q"]), F.node("QuantizeLinear", ["x", "s"], ["q_default"]),
             F.node("QuantizeLinear", ["x", "s"], ["q_attr"], ["output_dtype": .int(3)]),
             F.node("DequantizeLinear", ["q", "s", "zp"], ["dq"]),
             F.node("DynamicQuantizeLinear", ["x"], ["dy", "dy_scale", "dy_zp"])],
            inputs: [F.input("x", .float32, "n", 8), F.input("s", .float32), F.input("zp", .int8)])
        #expect(infos["q"]?.dtype == .int8 && infos["q"]?.shape == F.dims("n", 8))
        #expect(infos["q_default"]?.dtype == .uint8 && infos["q_attr"]?.dtype == .int8)
        #expect(infos["dq"]?.dtype == .float32 && infos["dq"]?.shape == F.dims("n", 8))
        #expect(infos["dy"]?.dtype == .uint8 && infos["dy_scale"]?.shape == [] && infos["dy_zp"]?.dtype == .uint8)
    }
}
