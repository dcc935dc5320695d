import QKTensor
import Testing
@testable import QKGraph

@Suite struct PassesDeadNodeEliminationTests {
    private func info(_ name: String) -> ValueInfo { ValueInfo(name: name, dtype: .float32, shape: [.known(2)]) }

    @Test func removesUnreachableNodesAndTheirInitializers() {
        let graph = Graph(
            nodes: [
                Node(name: "live", opType: "Relu", inputs: ["x"], outputs: ["y"]),
                Node(name: "dead1", opType: "Sigmoid", inputs: ["x"], outputs: ["s"]),
                Node(name: "dead2", opType: "Add", inputs: ["s", "w"], outputs: ["t"]),
            ],
            inputs: [info("x"), info("unused_input"), info("default")],
            outputs: [info("y")],
            initializers: ["w": Tensor(shape: [2], values: [Float(1), 2]), "orphan": Tensor(scalar: Float(3)),
                           "default": Tensor(shape: [2], values: [Float(0), 0])],
            valueInfo: [info("s"), info("t")])
        let (result, report) = DeadNodeElimination.apply(to: Model(graph: graph))
        #expect(result.graph.nodes.map(\.name) == ["live"])
        #expect(result.graph.inputs.map(\.name) == ["x", "unused_input", "default"])
        #expect(Set(result.graph.initializers.keys) == ["default"])
        #expect(result.graph.valueInfo.isEmpty)
        #expect(report == PassReport(pass: "DeadNodeElimination", nodesRemoved: 2, initializersRemoved: 2))
        #expect(report.description == "DeadNodeElimination: 2 nodes removed, 2 initializers removed")
    }

    @Test func keepsProducersOfValuesReadInsideSubgraphs() {
        let body = Graph(nodes: [Node(name: "inner", opType: "Identity", inputs: ["captured"], outputs: ["b"])],
                         outputs: [info("b")])
        let graph = Graph(
            nodes: [
                Node(name: "producer", opType: "Neg", inputs: ["x"], outputs: ["captured"]),
                Node(name: "branch", opType: "If", inputs: ["cond"], outputs: ["y"],
                     attributes: ["then_branch": .graph(body), "else_branch": .graph(body)]),
            ],
            inputs: [info("x"), ValueInfo(name: "cond", dtype: .bool, shape: [])],
            outputs: [info("y")])
        let (result, report) = DeadNodeElimination.apply(to: Model(graph: graph))
        #expect(result.graph.nodes.map(\.name) == ["producer", "branch"])
        #expect(!report.changed)
        #expect(report.description == "DeadNodeElimination: no change")
    }

    @Test func keepsNodeOrderAndMultiOutputProducers() {
        let graph = Graph(
            nodes: [
                Node(name: "split", opType: "Split", inputs: ["x"], outputs: ["a", "unused"]),
                Node(name: "use", opType: "Relu", inputs: ["a"], outputs: ["y"]),
                Node(name: "dead", opType: "Relu", inputs: ["unused"], outputs: ["z"]),
            ],
            inputs: [info("x")], outputs: [info("y")])
        let (result, report) = DeadNodeElimination.apply(to: Model(graph: graph))
        #expect(result.graph.nodes.map(\.name) == ["split", "use"])
        #expect(report.nodesRemoved == 1)
    }
}
