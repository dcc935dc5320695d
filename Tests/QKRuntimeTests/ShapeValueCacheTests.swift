import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// Steps that depend only on shapes and constants reuse their outputs from earlier runs while the shapes they
/// read repeat, and results stay identical to running every step (a run with `observe` runs every step).
@Suite struct ShapeValueCacheTests {
    private static func info(_ name: String) -> ValueInfo { ValueInfo(name: name, dtype: .float32, shape: nil) }

    /// x [a, b] → Shape → Gather(1) → Unsqueeze → Concat([-1], ·) → Reshape(x, ·) → Add(Range(0, b, 1) as float)
    /// → y: every value before the Reshape's data input depends only on x's shape.
    static func model() -> Model {
        let nodes = [
            Node(name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"]),
            Node(name: "gather", opType: "Gather", inputs: ["s", "one"], outputs: ["b"]),
            Node(name: "unsqueeze", opType: "Unsqueeze", inputs: ["b", "axes"], outputs: ["b1"]),
            Node(name: "concat", opType: "Concat", inputs: ["minus_one", "b1"], outputs: ["target"],
                 attributes: ["axis": .int(0)]),
            Node(name: "reshape", opType: "Reshape", inputs: ["x", "target"], outputs: ["r"]),
            Node(name: "range", opType: "Range", inputs: ["zero", "b", "one"], outputs: ["positions"]),
            Node(name: "cast", opType: "Cast", inputs: ["positions"], outputs: ["p"], attributes: ["to": .int(1)]),
            Node(name: "add", opType: "Add", inputs: ["r", "p"], outputs: ["y"]),
        ]
        let graph = Graph(nodes: nodes, inputs: [info("x")], outputs: [info("y")],
                          initializers: ["one": Tensor(scalar: Int64(1)), "zero": Tensor(scalar: Int64(0)),
                                         "axes": Tensor(shape: [1], values: [Int64(0)]),
                                         "minus_one": Tensor(shape: [1], values: [Int64(-1)])])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    @Test func derivationFindsTheShapeSubgraph() throws {
        let plan = try ExecutionPlan(Self.model())
        let derived = plan.steps.indices.filter { plan.shapeDerivation.roots[$0] != nil }.map { plan.steps[$0].node.name }
        #expect(Set(derived) == ["shape", "gather", "unsqueeze", "concat", "range", "cast"])
        #expect(plan.shapeDerivation.rootCount == 1)
    }

    @Test func changingShapesGiveTheResultsOfAFullRun() throws {
        let interpreter = try Interpreter(model: Self.model(), threads: 1)
        var rng = SplitMix64(seed: 5)
        for (a, b) in [(2, 3), (2, 3), (4, 5), (2, 3), (1, 7), (1, 7)] {
            let x = Tensor(shape: [a, b], values: (0..<a * b).map { _ in Float.random(in: -2...2, using: &rng) })
            let cached = try #require(try interpreter.run(["x": x])["y"])
            let full = try #require(try interpreter.run(["x": x], observe: { _, _ in })["y"])
            #expect(cached.shape == [a, b] && full.shape == [a, b])
            #expect(cached.floatValues.map(\.bitPattern) == full.floatValues.map(\.bitPattern))
            // Independent of the runtime: y[i, j] = x[i, j] + j.
            let expected = (0..<a * b).map { x.floatValues[$0] + Float($0 % b) }
            #expect(cached.floatValues == expected, "shape \([a, b])")
        }
    }
}
