import QKGraph
import QKTensor
import XCTest
@testable import QKTraining

/// Finite-difference checks (and the runtime as forward peer) for Concat, Transpose, Dropout and
/// LayerNormalization.
extension OpGradientTests {
    func testConcatOfTwoLearnedInputsAlongAMiddleAxis() throws {
        let a = GradientCheck.activation("a", input([2, 3, 2], seed: 4))
        let b = GradientCheck.activation("b", input([2, 1, 2], seed: 5))
        let concat = Node(name: "concat", opType: "Concat", inputs: ["a", "b"], outputs: ["y"], attributes: ["axis": .int(-2)])
        var checker = GradientCheck(nodes: a.nodes + b.nodes + [concat],
                                    initializers: a.initializers.merging(b.initializers) { x, _ in x }, output: "y")
        try checker.run()
        XCTAssertTrue(Set(try TrainingGraph(model: checker.model).learnable).isSuperset(of: ["a_param", "b_param"]))
        let graph = try TrainingGraph(model: checker.model)
        let ours = try graph.forward([:], training: false, trainBatchNorm: false, threads: 1).values["y"]!
        XCTAssertEqual(ours.shape, [2, 4, 2])
        XCTAssertEqual(ours.values, try runtimeOutput(checker.model, "y"))
    }

    func testTransposeWithPermAndDefault() throws {
        try check("Transpose", x: input([2, 3, 4]), attributes: ["perm": .ints([2, 0, 1])])
        try check("Transpose", x: input([3, 2, 2, 1], seed: 3))
    }

    func testDropoutIsTheIdentity() throws {
        try check("Dropout", x: input([3, 5]), parameters: ["ratio": Tensor(shape: [], values: [Float(0.5)])],
                  extraInputs: ["ratio"])
        let x = input([2, 3], seed: 9)
        let node = Node(name: "drop", opType: "Dropout", inputs: ["x"], outputs: ["y"])
        let result = try TrainingOps.dropout(
            OpContext(node: node, training: true, trainBatchNorm: true, threads: 1, constants: [:]), [x])
        XCTAssertEqual(result.outputs[0], x, "a training step does not drop either")
    }

    func testLayerNormalizationOverTheLastTwoAxes() throws {
        try check("LayerNormalization", x: input([3, 2, 4]),
                  parameters: ["scale": random([2, 4], seed: 2), "bias": random([2, 4], seed: 3)],
                  extraInputs: ["scale", "bias"], attributes: ["axis": .int(-2), "epsilon": .float(1e-3)])
    }

    func testLayerNormalizationLastAxisWithoutBias() throws {
        try check("LayerNormalization", x: input([4, 5], seed: 6), parameters: ["scale": random([5], seed: 7)],
                  extraInputs: ["scale"])
    }
}
