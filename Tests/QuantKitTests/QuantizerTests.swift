import Foundation
import Testing
@testable import QuantKit

@Suite struct QuantizerTests {
    /// x[N,2] → MatMul(W[2,2]) → Relu → Add(r, r) → y; 16 bytes of float weights.
    func model() -> Model {
        let graph = Graph(
            nodes: [Node(name: "mm", opType: "MatMul", inputs: ["x", "w"], outputs: ["h"]),
                    Node(name: "act", opType: "Relu", inputs: ["h"], outputs: ["r"]),
                    Node(name: "out", opType: "Add", inputs: ["r", "r"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(2)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
            initializers: ["w": Tensor(shape: [2, 2], values: [Float(1), -0.5, 0.25, 0])])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    func data(_ name: String = "x", shape: [Int] = [3, 2]) -> DataSet {
        DataSet(path: "mem.npz", arrays: [(name, Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0) - 2 }))])
    }

    @Test func staticResultReportsDecisionsAndSizes() throws {
        let result = try Quantizer.quantize(model(), config: QuantizationConfig(), calibration: data())
        #expect(result.sizeBefore == 16)
        #expect(result.model.graph.initializers["w_quantized"]?.count == 4)
        #expect(result.decisions.map(\.action) == [.quantized, .quantized, .quantized])
        #expect(result.summary.contains("quantized 3 nodes, kept 0 in float"))
        #expect(result.summary.contains("size: 16 → \(result.sizeAfter) bytes"))
        #expect(Quantizer.isQuantized(result.model) && !Quantizer.isQuantized(model()))
    }

    @Test func staticNeedsMatchingCalibrationData() throws {
        #expect(throws: StaticQuantizationError.noCalibrationData) {
            _ = try Quantizer.quantize(model(), config: QuantizationConfig(), calibration: nil)
        }
        #expect(throws: QuantKitError.self) {
            _ = try Quantizer.quantize(model(), config: QuantizationConfig(), calibration: data("pixels"))
        }
        #expect(throws: QuantKitError.self) {
            _ = try Quantizer.quantize(model(), config: QuantizationConfig(), calibration: data(shape: [3, 5]))
        }
        #expect(throws: QuantKitError.self) {
            _ = try Quantizer.quantize(model(), config: QuantizationConfig(), calibration: data(shape: [0, 2]))
        }
    }
}
