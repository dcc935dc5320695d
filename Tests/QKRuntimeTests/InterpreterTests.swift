import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// y = Relu(x + b), z = y · 2 with b an initializer.
private func smallModel() -> Model {
    let graph = Graph(
        nodes: [
            Node(name: "add", opType: "Add", inputs: ["x", "b"], outputs: ["s"]),
            Node(name: "relu", opType: "Relu", inputs: ["s"], outputs: ["y"]),
            Node(name: "double", opType: "Mul", inputs: ["y", "two"], outputs: ["z"]),
        ],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("batch"), .known(3)])],
        outputs: [ValueInfo(name: "z", dtype: .float32, shape: nil)],
        initializers: ["b": Tensor(shape: [3], values: [Float(1), -5, 0]),
                       "two": Tensor(scalar: Float(2))])
    return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
}

@Test func runsNodesAndReturnsGraphOutputs() throws {
    let interpreter = try Interpreter(model: smallModel(), threads: 1)
    let x = Tensor(shape: [2, 3], values: [Float(1), 2, 3, -4, 5, 6])
    let out = try interpreter.run(["x": x])
    // Relu([2, -3, 3, -3, 0, 6]) · 2
    #expect(out["z"] == Tensor(shape: [2, 3], values: [Float(4), 0, 6, 0, 0, 12]))
}

@Test func observesEveryIntermediateValueAndReturnsRequestedOnes() throws {
    let interpreter = try Interpreter(model: smallModel(), threads: 1)
    var seen: [String] = []
    let out = try interpreter.run(["x": Tensor(shape: [1, 3], values: [Float(0), 0, 0])], outputNames: ["s", "z"]) { name, _ in
        seen.append(name)
    }
    #expect(seen == ["s", "y", "z"])
    #expect(out["s"] == Tensor(shape: [1, 3], values: [Float(1), -5, 0]))
}

@Test func rejectsBadFeeds() throws {
    let interpreter = try Interpreter(model: smallModel(), threads: 1)
    #expect(throws: RuntimeError.missingFeed(name: "x", expected: "float32[batch, 3]")) { try interpreter.run([:]) }
    let wrongType = Tensor(shape: [1, 3], values: [Int64(0), 0, 0])
    #expect(throws: RuntimeError.feedMismatch(name: "x", expected: "float32[batch, 3]", actual: "int64[1, 3]")) {
        try interpreter.run(["x": wrongType])
    }
    let wrongShape = Tensor(shape: [1, 4], values: [Float(0), 0, 0, 0])
    #expect(throws: RuntimeError.feedMismatch(name: "x", expected: "float32[batch, 3]", actual: "float32[1, 4]")) {
        try interpreter.run(["x": wrongShape])
    }
    #expect(throws: RuntimeError.unexpectedFeed(name: "q", known: ["x"])) {
        try interpreter.run(["x": Tensor(shape: [1, 3], values: [Float(0), 0, 0]), "q": wrongType])
    }
}

@Test func rejectsUnknownOpBeforeRunning() {
    var model = smallModel()
    model.graph.nodes[1] = Node(name: "mystery", opType: "FancyOp", domain: "com.example", inputs: ["s"], outputs: ["y"])
    #expect(throws: RuntimeError.unsupportedOp(opType: "FancyOp", domain: "com.example", opset: 1, node: "mystery")) {
        try Interpreter(model: model)
    }
}

@Test func kernelShapeErrorsNameTheNode() throws {
    var model = smallModel()
    model.graph.initializers["b"] = Tensor(shape: [4], values: [Float(1), 2, 3, 4])
    let interpreter = try Interpreter(model: model, threads: 1)
    #expect {
        try interpreter.run(["x": Tensor(shape: [1, 3], values: [Float(0), 0, 0])])
    } throws: { error in
        "\(error)".contains("'add'") && "\(error)".contains("Add")
    }
}

@Test func constantFoldingPrecomputesConstantSubgraphs() throws {
    // c = b · two is constant; x + c is not.
    let graph = Graph(
        nodes: [
            Node(name: "scale", opType: "Mul", inputs: ["b", "two"], outputs: ["c"]),
            Node(name: "add", opType: "Add", inputs: ["x", "c"], outputs: ["y"]),
        ],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.known(2)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
        initializers: ["b": Tensor(shape: [2], values: [Float(1), 2]), "two": Tensor(scalar: Float(2))])
    let model = Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    let (folded, report) = try ConstantFolding.apply(to: model)
    #expect(report.nodesFolded == 1)
    #expect(folded.graph.nodes.map(\.name) == ["add"])
    #expect(folded.graph.initializers["c"] == Tensor(shape: [2], values: [Float(2), 4]))
    let x = Tensor(shape: [2], values: [Float(10), 20])
    #expect(try Interpreter(model: folded).run(["x": x]) == Interpreter(model: model).run(["x": x]))
}
