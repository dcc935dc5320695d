import QKTensor
import Testing
@testable import QKGraph

@Suite struct PassesMatMulAddFusionTests {
    private func info(_ name: String) -> ValueInfo { ValueInfo(name: name, dtype: .float32, shape: nil) }

    /// x → MatMul(x, W) → "m" → Add → "y"; W [3, 4] and the bias are initializers unless made graph inputs.
    private func model(bias: Tensor = Tensor(shape: [4], values: [Float](repeating: 0.5, count: 4)),
                       weight: Tensor = Tensor(shape: [3, 4], values: [Float](repeating: 1, count: 12)),
                       biasFirst: Bool = false, addInputs: [String]? = nil, mIsOutput: Bool = false,
                       extraReader: Bool = false, runtimeInputs: [String] = []) -> Model {
        var nodes = [
            Node(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["m"]),
            Node(name: "add", opType: "Add", inputs: addInputs ?? (biasFirst ? ["b", "m"] : ["m", "b"]), outputs: ["y"]),
        ]
        var outputs = [info("y")]
        if mIsOutput { outputs.append(info("m")) }
        if extraReader {
            nodes.append(Node(name: "other", opType: "Neg", inputs: ["m"], outputs: ["n"]))
            outputs.append(info("n"))
        }
        return Model(graph: Graph(nodes: nodes, inputs: [info("x")] + runtimeInputs.map(info), outputs: outputs,
                                  initializers: ["W": weight, "b": bias], valueInfo: [info("m")]),
                     opsetImports: [OpsetImport(domain: "", version: 13)])
    }

    @Test(arguments: [false, true])
    func matMulThenBiasAddBecomesMatMulAdd(biasFirst: Bool) throws {
        let (result, report) = MatMulAddFusion.apply(to: model(biasFirst: biasFirst))
        let fused = try #require(result.graph.nodes.first)
        #expect(result.graph.nodes.count == 1)
        #expect(fused.name == "mm" && fused.opType == "MatMulAdd" && fused.domain == "ai.quantkit")
        #expect(fused.inputs == ["x", "W", "b"] && fused.outputs == ["y"])
        #expect(result.opsetImports == [OpsetImport(domain: "", version: 13), OpsetImport(domain: "ai.quantkit", version: 1)])
        #expect(result.graph.valueInfo.isEmpty)
        #expect(report == PassReport(pass: "MatMulAddFusion", nodesFused: 1))
    }

    @Test func biasWithLeadingUnitAxesFuses() {
        let bias = Tensor(shape: [1, 1, 4], values: [Float](repeating: 2, count: 4))
        #expect(MatMulAddFusion.apply(to: model(bias: bias)).report.nodesFused == 1)
    }

    @Test func pairsThatMustStaySeparate() {
        let cases = [
            model(mIsOutput: true),                                                      // MatMul output is a graph output
            model(extraReader: true),                                                    // MatMul output read twice
            model(addInputs: ["m", "m"]),                                                // Add reads the product twice
            model(runtimeInputs: ["W"]),                                                 // B may be overridden at run time
            model(runtimeInputs: ["b"]),                                                 // bias may be overridden at run time
            model(weight: Tensor(shape: [1, 3, 4], values: [Float](repeating: 1, count: 12))),  // B not 2-D
            model(weight: Tensor(shape: [3, 4], values: [Double](repeating: 1, count: 12))),    // B not float32
            model(bias: Tensor(shape: [4], values: [Double](repeating: 1, count: 4))),          // bias not float32
            model(bias: Tensor(shape: [2, 4], values: [Float](repeating: 1, count: 8))),        // bias broadcasts along rows
            model(bias: Tensor(shape: [4, 1], values: [Float](repeating: 1, count: 4))),        // bias along another axis
            model(bias: Tensor(shape: [1], values: [Float(1)])),                                // bias length ≠ N
            model(bias: Tensor(scalar: Float(1))),                                              // scalar bias
        ]
        for original in cases {
            let (result, report) = MatMulAddFusion.apply(to: original)
            #expect(result == original)
            #expect(!report.changed)
        }
    }
}
