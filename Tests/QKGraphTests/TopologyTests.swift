import QKTensor
import Testing
@testable import QKGraph

private func node(_ name: String, _ inputs: [String], _ outputs: [String]) -> Node {
    Node(name: name, opType: "Relu", inputs: inputs, outputs: outputs)
}

private func graph(_ nodes: [Node], inputs: [String] = ["x"], outputs: [String] = ["y"]) -> Graph {
    Graph(nodes: nodes,
          inputs: inputs.map { ValueInfo(name: $0, dtype: .float32, shape: nil) },
          outputs: outputs.map { ValueInfo(name: $0, dtype: .float32, shape: nil) })
}

@Test func sortsNodesAfterTheirProducers() throws {
    let g = graph([node("b", ["a_out"], ["y"]), node("a", ["x"], ["a_out"])])
    #expect(try g.topologicalOrder() == [1, 0])
    try g.verify()
}

@Test func keepsFileOrderAmongIndependentNodes() throws {
    let g = graph([node("p", ["x"], ["p1"]), node("q", ["x"], ["q1"]), node("r", ["p1", "q1"], ["y"])])
    #expect(try g.topologicalOrder() == [0, 1, 2])
}

@Test func reportsCycleWithNodeNames() {
    let g = graph([node("a", ["x", "b_out"], ["a_out"]), node("b", ["a_out"], ["b_out"])], outputs: ["a_out"])
    #expect(throws: GraphError.cycle(nodes: ["a", "b"])) { try g.verify() }
}

@Test func reportsDanglingInput() {
    let g = graph([node("a", ["missing"], ["y"])])
    #expect(throws: GraphError.danglingInput(node: "a", input: "missing")) { try g.verify() }
}

@Test func reportsDuplicateOutput() {
    let g = graph([node("a", ["x"], ["y"]), node("b", ["x"], ["y"])])
    #expect(throws: GraphError.duplicateOutput(name: "y", nodes: ["a", "b"])) { try g.verify() }
}

@Test func reportsMissingGraphOutputAndMissingInitializer() {
    let g = graph([node("a", ["x", "w"], ["z"])])
    #expect(throws: GraphError.danglingInput(node: "a", input: "w")) { try g.verify() }
    var withWeight = g
    withWeight.initializers["w"] = Tensor(shape: [1], values: [Float(1)])
    #expect(throws: GraphError.missingGraphOutput(name: "y")) { try withWeight.verify() }
}

@Test func selfLoopIsACycle() {
    let g = graph([node("a", ["x", "y"], ["y"])])
    #expect(throws: GraphError.cycle(nodes: ["a"])) { try g.verify() }
}
