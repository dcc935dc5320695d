import Foundation
import Testing
@testable import QuantKit

/// Tensor pairing through QDQ/QOperator renaming, and the refusals of ``ModelComparison``.
@Suite struct CompareTests {
    func scalar(_ value: Float) -> Tensor { Tensor(shape: [], values: [value]) }

    /// x → Relu → r → Neg → y.
    func reference() -> Graph {
        Graph(nodes: [Node(name: "act", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                      Node(name: "neg", opType: "Neg", inputs: ["r"], outputs: ["y"])],
              inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(4)])],
              outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)])
    }

    @Test func qdqNamesOfQuantKitAndOnnxRuntime() {
        // QuantKit's QDQ writes r_quantized/r_dequantized; ONNX Runtime writes r_QuantizeLinear_Output and
        // r_DequantizeLinear_Output. Both are found by structure (DequantizeLinear of QuantizeLinear(r)).
        for (q, dq) in [("r_quantized", "r_dequantized"), ("r_QuantizeLinear_Output", "r_DequantizeLinear_Output")] {
            var graph = reference()
            graph.nodes = [graph.nodes[0],
                           Node(name: "q", opType: "QuantizeLinear", inputs: ["r", "s", "z"], outputs: [q]),
                           Node(name: "dq", opType: "DequantizeLinear", inputs: [q, "s", "z"], outputs: [dq]),
                           Node(name: "neg", opType: "Neg", inputs: [dq], outputs: ["y"])]
            let matches = TensorMatcher.matches(reference: reference(), quantized: graph)
            #expect(matches.map(\.reference) == ["x", "r", "y"])
            #expect(matches[1] == TensorMatch(reference: "r", quantized: dq, kind: .dequantized))
            #expect(matches[0].kind == .sameName && matches[2].kind == .sameName)
        }
    }

    @Test func qoperatorIntegerTensorsAreDequantized() throws {
        // r_quantized comes from an integer op; its scale/zero point are the r_scale/r_zero_point initializers.
        var graph = reference()
        graph.nodes = [Node(name: "act", opType: "QLinearLeakyRelu", inputs: ["x_quantized"], outputs: ["r_quantized"]),
                       Node(name: "dq", opType: "DequantizeLinear", inputs: ["r_quantized", "r_scale", "r_zero_point"],
                            outputs: ["r_deq"]),
                       Node(name: "neg", opType: "Neg", inputs: ["r_deq"], outputs: ["y"])]
        graph.initializers = ["r_scale": scalar(0.5), "r_zero_point": Tensor(shape: [], values: [UInt8(128)])]
        let matches = TensorMatcher.matches(reference: reference(), quantized: graph)
        let r = try #require(matches.first { $0.reference == "r" })
        #expect(r.kind == .integer && r.quantized == "r_quantized" && r.scale == 0.5 && r.zeroPoint == 128)
        #expect(r.floatValues(of: Tensor(shape: [3], values: [UInt8(130), 128, 0])) == [1, 0, -64])
    }

    @Test func integerParametersFromTheReaderWhenNotNamedAfterTheTensor() throws {
        var graph = reference()
        graph.nodes = [Node(name: "act", opType: "MaxPool", inputs: ["x_quantized"], outputs: ["r_quantized"]),
                       Node(name: "conv", opType: "QLinearConv",
                            inputs: ["r_quantized", "sc", "zp", "w", "ws", "wz", "ys", "yz"], outputs: ["y_quantized"])]
        graph.initializers = ["sc": scalar(0.25), "zp": Tensor(shape: [], values: [Int8(-3)])]
        let r = try #require(TensorMatcher.matches(reference: reference(), quantized: graph).first { $0.reference == "r" })
        #expect(r.kind == .integer && r.scale == 0.25 && r.zeroPoint == -3)
    }

    @Test func integerParametersThroughScaleSharingOps() throws {
        // MaxPool → r_quantized → Flatten → f_quantized → QGemm(f_quantized, fs, fz, …): r shares f's scale.
        let reference = Graph(nodes: [Node(name: "pool", opType: "MaxPool", inputs: ["x"], outputs: ["r"]),
                                      Node(name: "flat", opType: "Flatten", inputs: ["r"], outputs: ["f"]),
                                      Node(name: "fc", opType: "Gemm", inputs: ["f", "w"], outputs: ["y"])],
                              inputs: [ValueInfo(name: "x", dtype: .float32, shape: nil)],
                              outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)])
        var graph = reference
        graph.nodes = [Node(name: "pool", opType: "MaxPool", inputs: ["x_quantized"], outputs: ["r_quantized"]),
                       Node(name: "flat", opType: "Flatten", inputs: ["r_quantized"], outputs: ["f_quantized"]),
                       Node(name: "fc", opType: "QGemm", domain: "com.microsoft",
                            inputs: ["f_quantized", "fs", "fz", "w", "ws", "wz"], outputs: ["y"])]
        graph.initializers = ["fs": scalar(0.125), "fz": Tensor(shape: [], values: [UInt8(7)])]
        let matches = TensorMatcher.matches(reference: reference, quantized: graph)
        let r = try #require(matches.first { $0.reference == "r" })
        #expect(r.kind == .integer && r.scale == 0.125 && r.zeroPoint == 7)
        #expect(matches.first { $0.reference == "f" }?.scale == 0.125)
    }

    @Test func missingTensorsAreLeftOut() {
        var graph = reference()
        graph.nodes = [Node(name: "fused", opType: "Abs", inputs: ["x"], outputs: ["y"])]
        #expect(TensorMatcher.matches(reference: reference(), quantized: graph).map(\.reference) == ["x", "y"])
    }

    func write(_ graph: Graph, _ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qk-compare-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try ModelFile.save(Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)]), to: path)
        return path
    }

    @Test func refusesModelsWithDifferentInputs() throws {
        var other = reference()
        other.inputs = [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(5)])]
        let a = try write(reference(), "a.onnx"), b = try write(other, "b.onnx")
        let data = DataSet(path: "d.npz", arrays: [("x", Tensor(shape: [2, 4], values: [Float](repeating: 1, count: 8)))])
        #expect(throws: QuantKitError.invalidArgument("\(a) and \(b) take different inputs: "
            + "[x: float32[N, 4]] vs [x: float32[N, 5]]")) {
            try ModelComparison.run(referencePath: a, quantizedPath: b, data: data)
        }
    }

    @Test func identicalModelsCompareExactly() throws {
        let a = try write(reference(), "same.onnx")
        let data = DataSet(path: "d.npz", arrays: [("x", Tensor(shape: [3, 4], values: (0..<12).map { Float($0) - 5 }))])
        let result = try ModelComparison.run(referencePath: a, quantizedPath: a, data: data, batchSize: 2)
        #expect(result.samples == 3 && result.layers.map(\.tensor).sorted() == ["r", "x"])
        #expect(result.layers.allSatisfy { $0.metrics.sqnrDB == .infinity && $0.metrics.count == 12 })
        #expect(result.outputs.first?.metrics.maxAbsError == 0 && result.top1Agreement == 1)
    }

    @Test func rankingPutsNaNThenLowestSQNRFirst() {
        func layer(_ name: String, _ sqnr: Double) -> LayerComparison {
            LayerComparison(tensor: name, node: name, opType: "Op", quantizedTensor: name, match: .sameName,
                            metrics: ErrorMetrics(sqnrDB: sqnr, cosine: 1, maxAbsError: 0, meanAbsError: 0, count: 1))
        }
        let ranked = ModelComparison.rankedWorstFirst([layer("a", 40), layer("b", .infinity), layer("c", .nan),
                                                       layer("d", 12), layer("e", 40)])
        #expect(ranked.map(\.tensor) == ["c", "d", "a", "e", "b"])
    }
}
