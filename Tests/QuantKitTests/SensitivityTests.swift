import Foundation
import Testing
@testable import QuantKit

@Suite struct SensitivityTests {
    /// x[N,2] → MatMul(w1) → Relu → MatMul(w2) → y.
    func model() -> Model {
        let graph = Graph(
            nodes: [Node(name: "mm1", opType: "MatMul", inputs: ["x", "w1"], outputs: ["h"]),
                    Node(name: "act", opType: "Relu", inputs: ["h"], outputs: ["r"]),
                    Node(name: "mm2", opType: "MatMul", inputs: ["r", "w2"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(2)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
            initializers: ["w1": Tensor(shape: [2, 2], values: [Float(1), -0.5, 0.25, 0.1]),
                           "w2": Tensor(shape: [2, 2], values: [Float(0.3), 2, -1, 0.7])])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    @Test func oneTrialPerQuantizedLayerWithItsFusedActivation() throws {
        let data = DataSet(path: "d.npz", arrays: [("x", Tensor(shape: [16, 2], values: (0..<32).map { sin(Float($0)) * 3 })),
                                                   ("labels", Tensor(shape: [16], values: (0..<16).map { Int64($0 % 2) }))])
        let result = try SensitivityAnalysis.run(model: model(), modelPath: "m.onnx", config: QuantizationConfig(),
                                                 calibration: data, data: data, labels: nil)
        #expect(Set(result.layers.map(\.node)) == ["mm1", "mm2"])
        #expect(result.layers.first { $0.node == "mm1" }?.quantizedNodes == ["mm1", "act"])
        #expect(result.layers.allSatisfy { $0.output.sqnrDB.isFinite && $0.output.sqnrDB > 20 && $0.accuracy != nil })
        #expect(result.layers[0].output.sqnrDB <= result.layers[1].output.sqnrDB)
        // Quantizing everything costs more than any single layer alone.
        #expect(result.allQuantized.output.sqnrDB < result.layers[0].output.sqnrDB)
        #expect(result.excludeList(worst: 1) == result.layers[0].node)
        #expect(result.floatAccuracy != nil)
    }

    @Test func accuracyRankingNeedsLabels() {
        let data = DataSet(path: "d.npz", arrays: [("x", Tensor(shape: [4, 2], values: (0..<8).map { Float($0) }))])
        #expect(throws: QuantKitError.self) {
            try SensitivityAnalysis.run(model: model(), modelPath: "m.onnx", config: QuantizationConfig(),
                                        calibration: data, data: data, labels: nil, ranking: .accuracy)
        }
    }

    @Test func accuracyRankingOrdersByDropThenSQNR() {
        func entry(_ node: String, drop: Double, sqnr: Double) -> SensitivityEntry {
            SensitivityEntry(node: node, opType: "Conv", quantizedNodes: [node],
                             output: ErrorMetrics(sqnrDB: sqnr, cosine: 1, maxAbsError: 0, meanAbsError: 0, count: 1),
                             accuracyDrop: drop)
        }
        let entries = [entry("a", drop: 0, sqnr: 10), entry("b", drop: 0.02, sqnr: 50), entry("c", drop: 0, sqnr: 5)]
        #expect(SensitivityAnalysis.ranked(entries, by: .accuracy).map(\.node) == ["b", "c", "a"])
        #expect(SensitivityAnalysis.ranked(entries, by: .sqnr).map(\.node) == ["c", "a", "b"])
    }
}
