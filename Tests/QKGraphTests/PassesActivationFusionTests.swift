import QKTensor
import Testing
@testable import QKGraph

@Suite struct PassesActivationFusionTests {
    private func info(_ name: String, _ dtype: DType = .float32) -> ValueInfo { ValueInfo(name: name, dtype: dtype, shape: nil) }

    /// x → producer (Conv or Gemm) → "p" → activation → "y", with the activation's extra inputs and initializers.
    private func model(producer: String = "Conv", activation: String, attributes: [String: Attribute] = [:],
                       extraInputs: [String] = [], initializers: [String: Tensor] = [:], opset: Int64 = 13,
                       pIsOutput: Bool = false, extraConsumer: Bool = false, dtype: DType = .float32) -> Model {
        var nodes = [
            Node(name: "producer", opType: producer, inputs: ["x", "W", "B"], outputs: ["p"],
                 attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "act", opType: activation, inputs: ["p"] + extraInputs, outputs: ["y"], attributes: attributes),
        ]
        var outputs = [info("y", dtype)]
        if pIsOutput { outputs.append(info("p", dtype)) }
        if extraConsumer {
            nodes.append(Node(name: "other", opType: "Neg", inputs: ["p"], outputs: ["n"]))
            outputs.append(info("n", dtype))
        }
        return Model(graph: Graph(nodes: nodes, inputs: [info("x", dtype), info("W", dtype), info("B", dtype)],
                                  outputs: outputs, initializers: initializers, valueInfo: [info("p", dtype)]),
                     opsetImports: [OpsetImport(domain: "", version: opset)])
    }

    @Test func convReluBecomesFusedConv() throws {
        let (result, report) = ActivationFusion.apply(to: model(activation: "Relu"))
        let fused = try #require(result.graph.nodes.first)
        #expect(result.graph.nodes.count == 1)
        #expect(fused.opType == "FusedConv" && fused.domain == "com.microsoft")
        #expect(fused.inputs == ["x", "W", "B"] && fused.outputs == ["y"])
        #expect(fused.attributes == ["pads": .ints([1, 1, 1, 1]), "activation": .string("Relu")])
        #expect(result.opsetImports == [OpsetImport(domain: "", version: 13), OpsetImport(domain: "com.microsoft", version: 1)])
        #expect(result.graph.valueInfo.isEmpty)
        #expect(report == PassReport(pass: "ActivationFusion", nodesFused: 1))
    }

    @Test func leakyReluPassesAlpha() throws {
        let (conv, _) = ActivationFusion.apply(to: model(activation: "LeakyRelu", attributes: ["alpha": .float(0.2)]))
        #expect(conv.graph.nodes[0].attributes["activation_params"] == .floats([0.2]))
        let (defaulted, _) = ActivationFusion.apply(to: model(activation: "LeakyRelu"))
        #expect(defaulted.graph.nodes[0].attributes["activation_params"] == .floats([0.01]))
        let (gemm, _) = ActivationFusion.apply(to: model(producer: "Gemm", activation: "LeakyRelu", attributes: ["alpha": .float(0.3)]))
        let fused = gemm.graph.nodes[0]
        #expect(fused.opType == "FusedGemm" && fused.domain == "com.microsoft")
        #expect(fused.attributes["activation"] == .string("LeakyRelu"))
        #expect(fused.attributes["activation_alpha"] == .float(0.3))
        #expect(fused.attributes["activation_params"] == nil)
    }

    @Test func clipWithConstantBoundsFromInputs() throws {
        let bounds = ["lo": Tensor(scalar: Float(0)), "hi": Tensor(scalar: Float(6))]
        let (result, report) = ActivationFusion.apply(to: model(activation: "Clip", extraInputs: ["lo", "hi"], initializers: bounds))
        #expect(result.graph.nodes[0].attributes["activation_params"] == .floats([0, 6]))
        #expect(result.graph.initializers.isEmpty)
        #expect(report == PassReport(pass: "ActivationFusion", initializersRemoved: 2, nodesFused: 1))
        let (onlyMax, _) = ActivationFusion.apply(to: model(activation: "Clip", extraInputs: ["", "hi"], initializers: bounds))
        #expect(onlyMax.graph.nodes[0].attributes["activation_params"] == .floats([-Float.greatestFiniteMagnitude, 6]))
    }

    @Test func clipBoundsFromAttributesBeforeOpset11() {
        let old = model(activation: "Clip", attributes: ["min": .float(-1), "max": .float(1)], opset: 9)
        #expect(ActivationFusion.apply(to: old).model.graph.nodes[0].attributes["activation_params"] == .floats([-1, 1]))
    }

    @Test func pairsThatMustStaySeparate() {
        let cases = [
            model(activation: "Clip", extraInputs: ["x"]),          // bound is not a constant
            model(activation: "Relu", pIsOutput: true),              // producer output is a graph output
            model(activation: "Relu", extraConsumer: true),          // producer output read twice
            model(producer: "Gemm", activation: "Clip", attributes: ["min": .float(0)], opset: 9),  // FusedGemm has no Clip
            model(activation: "Relu", dtype: .float16),              // fused kernels are float32 only
            model(activation: "Softmax"),                            // not an activation FusedConv knows
        ]
        for original in cases {
            let (result, report) = ActivationFusion.apply(to: original)
            #expect(result == original)
            #expect(!report.changed)
        }
    }

    @Test func microsoftOpsetIsNotImportedTwice() {
        var original = model(activation: "Tanh")
        original.opsetImports.append(OpsetImport(domain: "com.microsoft", version: 1))
        let (result, _) = ActivationFusion.apply(to: original)
        #expect(result.opsetImports.filter { $0.domain == "com.microsoft" }.count == 1)
        #expect(result.graph.nodes[0].attributes["activation"] == .string("Tanh"))
    }
}
