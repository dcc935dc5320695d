import QKGraph
import QKRuntime
import QKTensor
import Testing
@testable import QKQuantization

/// x[1,2] → MatMul(W) → Exp → Add(b) → y, opset 17.
private func expModel() -> Model {
    Model(graph: Graph(
        nodes: [Node(name: "mm", opType: "MatMul", inputs: ["x", "w"], outputs: ["h"]),
                Node(name: "exp", opType: "Exp", inputs: ["h"], outputs: ["e"]),
                Node(name: "add", opType: "Add", inputs: ["e", "b"], outputs: ["y"])],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.known(1), .known(2)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.known(1), .known(2)])],
        initializers: ["w": Tensor(shape: [2, 2], values: [Float(0.1), 0.2, 0.3, 0.4]),
                       "b": Tensor(shape: [2], values: [Float(1), -1])]),
          opsetImports: [OpsetImport(domain: "", version: 17)])
}

@Test func float16ConvertsInitializersAndCastsAroundKeptOps() throws {
    let (out, decisions) = try FloatPrecisionConverter.convert(expModel(), to: .float16)
    let g = out.graph
    #expect(g.initializers["w"]?.dtype == .float16)
    #expect(g.initializers["b"]?.dtype == .float16)
    // 0.1 in float16 is 0.0999755859375 (nearest of 1638/16384).
    #expect(g.initializers["w"]?.floatValues.first == 0.0999755859375)
    #expect(g.nodes.map(\.opType) == ["Cast", "MatMul", "Cast", "Exp", "Cast", "Add", "Cast"])
    #expect(g.nodes[0].attributes["to"] == .int(10) && g.nodes[0].inputs == ["x"])
    #expect(g.nodes[2].attributes["to"] == .int(1) && g.nodes[3].inputs == [g.nodes[2].outputs[0]])
    #expect(g.nodes.last?.outputs == ["y"] && g.nodes.last?.attributes["to"] == .int(1))
    #expect(g.inputs.first?.dtype == .float32 && g.outputs.first?.dtype == .float32)
    #expect(decisions.map(\.action) == [.converted, .keptFloat, .converted])

    // y = exp(x·W) + b with x = [1, 2]: x·W = [0.7, 1.0] → [e^0.7 + 1, e − 1] = [3.01375, 1.71828].
    let interpreter = try Interpreter(model: out, threads: 1)
    let y = try interpreter.run(["x": Tensor(shape: [1, 2], values: [Float(1), 2])])["y"]
    let values = try #require(y?.values(as: Float.self))
    #expect(abs(values[0] - 3.01375) < 4e-3 && abs(values[1] - 1.71828) < 4e-3)
}

@Test func bfloat16KeepsOpsWithoutBfloat16FormAndRetargetsCastAndConstants() throws {
    let model = Model(graph: Graph(
        nodes: [Node(name: "k", opType: "Constant", inputs: [], outputs: ["k"],
                     attributes: ["value": .tensor(Tensor(shape: [1], values: [Float(0.5)]))]),
                Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
                Node(name: "mul", opType: "Mul", inputs: ["c", "k"], outputs: ["m"]),
                Node(name: "cast", opType: "Cast", inputs: ["m"], outputs: ["y"], attributes: ["to": .int(1)])],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.known(1), .known(1), .known(2), .known(2)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
        initializers: ["w": Tensor(shape: [1, 1, 1, 1], values: [Float(2)])]),
        opsetImports: [OpsetImport(domain: "", version: 17)])
    let (out, decisions) = try FloatPrecisionConverter.convert(model, to: .bfloat16)
    #expect(decisions.first { $0.node == "conv" }?.action == .keptFloat)
    #expect(decisions.first { $0.node == "conv" }?.reason.contains("does not allow bfloat16") == true)
    #expect(out.graph.initializers["w"]?.dtype == .float32)
    let constant = try #require(out.graph.nodes.first { $0.name == "k" })
    if case .tensor(let t)? = constant.attributes["value"] { #expect(t.dtype == .bfloat16) } else { Issue.record("no value") }
    #expect(out.graph.nodes.first { $0.name == "cast" }?.attributes["to"] == .int(16))
    // x = [1, 2, 3, 4] → 2x · 0.5 = x (exact in bfloat16).
    let y = try Interpreter(model: out, threads: 1)
        .run(["x": Tensor(shape: [1, 1, 2, 2], values: [Float(1), 2, 3, 4])])["y"]
    #expect(y?.values(as: Float.self) == [1, 2, 3, 4])
}
