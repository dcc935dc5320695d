import QKGraph
import QKTensor
import Testing
@testable import QKQuantization

private func model(_ nodes: [Node], inits: [String: Tensor], outputs: [String]) -> Model {
    Model(graph: Graph(nodes: nodes,
                       inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(3)])],
                       outputs: outputs.map { ValueInfo(name: $0, dtype: .float32, shape: nil) },
                       initializers: inits),
          opsetImports: [OpsetImport(domain: "", version: 9)])
}

private func config(perChannel: Bool = false) -> QuantizationConfig {
    var c = QuantizationConfig()
    c.mode = .dynamic
    c.perChannel = perChannel
    return c
}

@Test func matMulAddBecomesIntegerForm() throws {
    // max |W| = 1.27 → symmetric int8 scale 1.27 / 127 = 0.01; W_q = round(W / 0.01).
    let w = Tensor(shape: [3, 2], values: [Float(1.27), -0.5, 0.25, 0.13, -1.27, 0.02])
    let m = model([Node(name: "mm", opType: "MatMul", inputs: ["x", "w"], outputs: ["h"]),
                   Node(name: "add", opType: "Add", inputs: ["h", "b"], outputs: ["y"])],
                  inits: ["w": w, "b": Tensor(shape: [2], values: [Float(1), 2])], outputs: ["y"])
    let (out, decisions) = try DynamicQuantizer.quantize(m, config: config())
    #expect(out.graph.nodes.map(\.opType) == ["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Add"])
    #expect(out.opsetVersion(for: "") == 11)
    #expect(out.irVersion == 10)
    let mmi = out.graph.nodes[1]
    #expect(mmi.inputs == ["x_quantized", "h_W_quantized", "x_zero_point", "h_W_zero_point"])
    #expect(out.graph.initializers["h_W_quantized"]?.values(as: Int8.self) == [127, -50, 25, 13, -127, 2])
    #expect(out.graph.initializers["h_W_zero_point"]?.values(as: Int8.self) == [0])
    let scale = try #require(out.graph.initializers["h_W_scale"]?.values(as: Float.self))
    #expect(scale.count == 1 && abs(scale[0] - 0.01) < 1e-8)
    #expect(out.graph.nodes[2].attributes["to"] == .int(1))
    #expect(out.graph.nodes[4].outputs == ["h"])
    #expect(decisions.map(\.action) == [.quantized, .keptFloat])
    #expect(decisions[1].reason.hasPrefix(QuantizationDecision.noQuantizedFormPrefix))
}

@Test func gemmTransBPerChannelFoldsAlphaAndBeta() throws {
    // B is [N=2, K=3]; per output column scales max|row| / 127 = 2/127 and 0.3/127.
    // Column 0: [1.5, 0.5, −2] · 127/2 = [95.25, 31.75, −127] → [95, 32, −127];
    // column 1: [0.1, 0.2, −0.3] · 127/0.3 = [42.33, 84.67, −127] → [42, 85, −127]; stored [K, N] row-major.
    let b = Tensor(shape: [2, 3], values: [Float(1.5), 0.5, -2, 0.1, 0.2, -0.3])
    let gemm = Node(name: "fc", opType: "Gemm", inputs: ["x", "b", "c"], outputs: ["y"],
                    attributes: ["transB": .int(1), "alpha": .float(2), "beta": .float(0.5)])
    let m = model([gemm], inits: ["b": b, "c": Tensor(shape: [2], values: [Float(4), -6])], outputs: ["y"])
    let (out, decisions) = try DynamicQuantizer.quantize(m, config: config(perChannel: true))
    #expect(out.graph.initializers["y_W_quantized"]?.shape == [3, 2])
    #expect(out.graph.initializers["y_W_quantized"]?.values(as: Int8.self) == [95, 42, 32, 85, -127, -127])
    let scales = try #require(out.graph.initializers["y_W_scale"]?.values(as: Float.self))
    #expect(scales.count == 2)
    #expect(abs(scales[0] - 2 * 2 / 127) < 1e-7 && abs(scales[1] - 2 * 0.3 / 127) < 1e-7)
    let add = try #require(out.graph.nodes.last)
    #expect(add.opType == "Add" && add.outputs == ["y"])
    #expect(out.graph.initializers[add.inputs[1]]?.values(as: Float.self) == [2, -3])
    #expect(decisions.first?.action == .quantized)
}

@Test func sharedActivationGetsOneDynamicQuantizeLinearAndExclusionsStayFloat() throws {
    let w = Tensor(shape: [3, 2], values: [Float](repeating: 0.5, count: 6))
    let nodes = [Node(name: "a", opType: "MatMul", inputs: ["x", "w"], outputs: ["ya"]),
                 Node(name: "b", opType: "MatMul", inputs: ["x", "w"], outputs: ["yb"]),
                 Node(name: "c", opType: "MatMul", inputs: ["x", "w"], outputs: ["yc"])]
    var c = config()
    c.excludeNodes = ["c"]
    let (out, decisions) = try DynamicQuantizer.quantize(model(nodes, inits: ["w": w], outputs: ["ya", "yb", "yc"]),
                                                        config: c)
    #expect(out.graph.nodes.filter { $0.opType == "DynamicQuantizeLinear" }.count == 1)
    #expect(out.graph.nodes.filter { $0.opType == "MatMulInteger" }.count == 2)
    #expect(out.graph.nodes.contains { $0.name == "c" && $0.opType == "MatMul" })
    #expect(decisions.map(\.action) == [.quantized, .quantized, .keptFloat])
    #expect(decisions[2].reason.contains("excludeNodes"))
}

@Test func refusesQuantizedModelsAndNonFiniteWeights() throws {
    let q = model([Node(name: "d", opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["q", "s", "z"])],
                  inits: [:], outputs: ["q"])
    #expect(throws: DynamicQuantizationError.alreadyQuantized(node: "d", opType: "DynamicQuantizeLinear")) {
        try DynamicQuantizer.quantize(q, config: config())
    }
    let bad = model([Node(name: "mm", opType: "MatMul", inputs: ["x", "w"], outputs: ["y"])],
                    inits: ["w": Tensor(shape: [3, 1], values: [Float(1), .nan, 0])], outputs: ["y"])
    #expect(throws: DynamicQuantizationError.nonFiniteWeight(node: "mm", tensor: "w")) {
        try DynamicQuantizer.quantize(bad, config: config())
    }
}
