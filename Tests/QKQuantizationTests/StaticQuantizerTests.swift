import QKGraph
import QKTensor
import Testing
@testable import QKQuantization

/// x[N,1,4,4] → Conv(2 filters 3×3, pad 1, bias) → Relu → MaxPool 2×2 → Reshape [N,8] → Gemm(transB, 3 outputs).
/// Conv filter 0 has |w| max 0.5, filter 1 has |w| max 2; calibration inputs span exactly [−1, 3].
func convReluGemmModel() -> Model {
    var w = [Float](repeating: 0.25, count: 18)
    w[4] = 0.5
    w[9 + 4] = -2
    w[9 + 0] = 1
    let fc = (0..<24).map { Float($0 % 7) / 7 - 0.4 }
    let graph = Graph(
        nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"],
                 attributes: ["pads": .ints([1, 1, 1, 1]), "kernel_shape": .ints([3, 3])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(name: "pool", opType: "MaxPool", inputs: ["r"], outputs: ["p"],
                 attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "reshape", opType: "Reshape", inputs: ["p", "shape"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"],
                 attributes: ["transB": .int(1)]),
        ],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(1), .known(4), .known(4)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
        initializers: [
            "w": Tensor(shape: [2, 1, 3, 3], values: w),
            "b": Tensor(shape: [2], values: [Float(0.3), -1.0]),
            "shape": Tensor(shape: [2], values: [Int64(-1), 8]),
            "fw": Tensor(shape: [3, 8], values: fc),
            "fb": Tensor(shape: [3], values: [Float(0.1), 0.2, -0.3]),
        ])
    return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
}

/// Five samples, seeded, in [−1, 3] with both ends present.
func calibrationFeeds() -> [String: Tensor] {
    var state: UInt64 = 42
    var values = (0..<80).map { _ -> Float in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 4 - 1
    }
    values[3] = -1
    values[50] = 3
    return ["x": Tensor(shape: [5, 1, 4, 4], values: values)]
}

@Suite struct StaticQuantizerTests {
    func quantized(_ configure: (inout QuantizationConfig) -> Void = { _ in }) throws
        -> (model: Model, decisions: [QuantizationDecision]) {
        var config = QuantizationConfig()
        config.perChannel = true
        configure(&config)
        return try StaticQuantizer.quantize(convReluGemmModel(), config: config, feeds: calibrationFeeds(), batchSize: 2)
    }

    func node(_ model: Model, _ name: String) -> Node? { model.graph.nodes.first { $0.name == name } }

    @Test func qdqStructure() throws {
        let (model, decisions) = try quantized()
        let ops = model.graph.nodes.map(\.opType)
        #expect(!ops.contains("Relu"))
        // Q/DQ pairs on x, r (fused Conv output), p and f; DQ for the two weights and two biases; y stays float.
        #expect(ops.filter { $0 == "QuantizeLinear" }.count == 4)
        #expect(ops.filter { $0 == "DequantizeLinear" }.count == 8)
        #expect(node(model, "conv")?.inputs == ["x_dequantized", "w_dequantized", "b_dequantized"])
        #expect(node(model, "conv")?.outputs == ["r"])
        #expect(node(model, "fc")?.inputs == ["f_dequantized", "fw_dequantized", "fb_dequantized"])
        #expect(node(model, "fc")?.outputs == ["y"])
        #expect(model.graph.initializers["w_quantized"]?.dtype == .int8)
        #expect(model.graph.initializers["w"] == nil)
        #expect(node(model, "w_DequantizeLinear")?.attributes["axis"] == .int(0))
        #expect(model.graph.initializers["fw_scale"]?.shape == [3])
        #expect(model.opsetVersion(for: "") == 17 && model.irVersion == 10)
        #expect(decisions.first { $0.node == "relu" }?.action == .quantized)
        #expect(decisions.allSatisfy { $0.action == .quantized })
    }

    @Test func inputParametersAndPerChannelWeights() throws {
        let (model, _) = try quantized()
        // x ∈ [−1, 3] → uint8 scale 4/255, zero point round(63.75) = 64.
        #expect(model.graph.initializers["x_scale"] == Tensor(shape: [], values: [Float(4.0 / 255.0)]))
        #expect(model.graph.initializers["x_zero_point"] == Tensor(shape: [], values: [UInt8(64)]))
        // Symmetric int8 per filter: 0.5/127 and 2/127.
        #expect(model.graph.initializers["w_scale"] == Tensor(shape: [2], values: [Float(0.5 / 127), Float(2.0 / 127)]))
        // Filter 1: −2 → −127, 1 → round(63.5) = 64, 0.25 → round(15.875) = 16.
        let q = try #require(model.graph.initializers["w_quantized"]?.values(as: Int8.self))
        #expect(Array(q[9..<14]) == [64, 16, 16, 16, -127])
    }

    @Test func biasIsInt32AtInputTimesWeightScale() throws {
        let (model, _) = try quantized()
        // round(0.3 / (4/255 · 0.5/127)) = round(4857.75) = 4858; round(−1 / (4/255 · 2/127)) = round(−4048.12) = −4048.
        #expect(model.graph.initializers["b_quantized"] == Tensor(shape: [2], values: [Int32(4858), -4048]))
        let scales = try #require(model.graph.initializers["b_scale"]?.values(as: Float.self))
        #expect(scales == [Float(4.0 / 255) * Float(0.5 / 127), Float(4.0 / 255) * Float(2.0 / 127)])
        #expect(model.graph.initializers["b_zero_point"] == Tensor(shape: [2], values: [Int32(0), 0]))
    }

    @Test func scaleSharedThroughMaxPoolAndReshape() throws {
        let (model, _) = try quantized()
        let r = model.graph.initializers["r_scale"]
        #expect(r != nil && model.graph.initializers["p_scale"] == r && model.graph.initializers["f_scale"] == r)
        #expect(model.graph.initializers["p_zero_point"] == model.graph.initializers["r_zero_point"])
        // The fused Relu's range starts at 0, so the zero point is uint8's 0.
        #expect(model.graph.initializers["r_zero_point"] == Tensor(shape: [], values: [UInt8(0)]))
    }

    @Test func perTensorWeightsHaveScalarScale() throws {
        let (model, _) = try quantized { $0.perChannel = false }
        #expect(model.graph.initializers["w_scale"] == Tensor(shape: [], values: [Float(2.0 / 127)]))
        #expect(node(model, "w_DequantizeLinear")?.attributes["axis"] == nil)
    }

    @Test func excludedNodeStaysFloat() throws {
        let (model, decisions) = try quantized { $0.excludeNodes = ["fc"] }
        #expect(node(model, "fc")?.inputs == ["f", "fw", "fb"])
        #expect(decisions.first { $0.node == "fc" } == QuantizationDecision(
            node: "fc", opType: "Gemm", action: .keptFloat, reason: "excluded by config (node name)"))
    }

    @Test func excludedConvKeepsReluAndPoolFloat() throws {
        let (model, decisions) = try quantized { $0.excludeOpTypes = ["Conv"] }
        #expect(model.graph.nodes.contains { $0.opType == "Relu" })
        #expect(node(model, "conv")?.inputs == ["x", "w", "b"])
        #expect(decisions.first { $0.node == "relu" }?.action == .keptFloat)
        #expect(decisions.first { $0.node == "pool" }?.action == .keptFloat)
        #expect(decisions.first { $0.node == "fc" }?.action == .quantized)
    }

    @Test func refusesQuantizedModelsAndNonFiniteWeights() throws {
        let (model, _) = try quantized()
        #expect(throws: StaticQuantizationError.alreadyQuantized(node: "x_QuantizeLinear", opType: "QuantizeLinear")) {
            _ = try StaticQuantizer.quantize(model, config: QuantizationConfig(), feeds: calibrationFeeds())
        }
        var broken = convReluGemmModel()
        var fw = (0..<24).map { Float($0) }
        fw[7] = .nan
        broken.graph.initializers["fw"] = Tensor(shape: [3, 8], values: fw)
        #expect(throws: StaticQuantizationError.nonFiniteWeight(initializer: "fw", index: 7, value: "nan")) {
            _ = try StaticQuantizer.quantize(broken, config: QuantizationConfig(), feeds: calibrationFeeds())
        }
    }

    @Test func qoperatorUsesIntegerOps() throws {
        let (model, _) = try quantized { $0.format = .qoperator }
        let ops = model.graph.nodes.map(\.opType)
        #expect(ops.contains("QLinearConv") && ops.contains("MaxPool") && !ops.contains("Conv"))
        #expect(node(model, "conv")?.inputs.last == "b_quantized")
        #expect(node(model, "conv")?.outputs == ["r_quantized"])
        #expect(node(model, "pool")?.inputs == ["r_quantized"])
        #expect(node(model, "reshape")?.inputs == ["p_quantized", "shape"])
        // y is a float graph output with no quantized reader: fc keeps its QDQ form on dequantized inputs.
        #expect(node(model, "fc")?.opType == "Gemm")
        #expect(node(model, "fc")?.inputs == ["f_dequantized", "fw_dequantized", "fb_dequantized"])
        #expect(model.opsetVersion(for: "com.microsoft") == nil)
    }
}
