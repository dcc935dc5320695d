import Foundation
import Testing
@testable import QuantKit

@Suite struct ReportHistogramTests {
    /// x[N,4] → MatMul(W[4,3]) → h → Relu → r; W holds one outlier (9) among small values.
    func model() -> Model {
        let weights: [Float] = [0.5, -0.25, 0.125, 9, -1, 0.75, 0.5, -0.5, 0.25, 1, -0.125, 0.375]
        let graph = Graph(
            nodes: [Node(name: "mm<0>", opType: "MatMul", inputs: ["x", "w"], outputs: ["h"]),
                    Node(name: "act", opType: "Relu", inputs: ["h"], outputs: ["r"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .known(4)])],
            outputs: [ValueInfo(name: "r", dtype: .float32, shape: nil)],
            initializers: ["w": Tensor(shape: [4, 3], values: weights)])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    func feeds(samples: Int) -> [String: Tensor] {
        ["x": Tensor(shape: [samples, 4], values: (0..<(samples * 4)).map { Float(($0 * 7) % 11) - 5 })]
    }

    @Test func reluOutputLeadsBackToTheMatMulWeight() throws {
        let histograms = try ReportHistograms.collect(model: model(), layerOutputs: ["r"], calibration: feeds(samples: 10),
                                                      config: QuantizationConfig(), batchSize: 4)
        #expect(histograms.map(\.kind) == [.weight, .activation])
        let weight = histograms[0], activation = histograms[1]
        #expect(weight.tensor == "w" && weight.node == "mm<0>" && weight.opType == "MatMul")
        #expect(activation.tensor == "r" && activation.node == "act")
        #expect(weight.counts.reduce(0, +) == 12)
        #expect(activation.counts.reduce(0, +) == 30)          // 10 samples × 3 outputs, over 3 batches
        #expect(weight.observedMin == -1 && weight.observedMax == 9)
        #expect(weight.binEdges.count == weight.counts.count + 1 && weight.counts.count <= ReportHistograms.displayBins)
        #expect(weight.binEdges.first! <= -1 && weight.binEdges.last! >= 9)
        #expect(weight.clipRanges.map(\.method) == ["minmax", "percentile", "entropy", "mse"])
        #expect(weight.clipRanges[0].min == -1 && weight.clipRanges[0].max == 9)
        for range in weight.clipRanges + activation.clipRanges {
            #expect(range.min <= range.max)
        }
        #expect(activation.observedMin == 0)
    }

    @Test func activationsNeedDataAndUnknownLayersAreSkipped() throws {
        let histograms = try ReportHistograms.collect(model: model(), layerOutputs: ["h", "nope"], calibration: [:],
                                                      config: QuantizationConfig())
        #expect(histograms.map(\.kind) == [.weight])
    }

    @Test func mergedBinsKeepEveryCountAndSpanTheOccupiedRange() {
        var histogram = FixedHistogram(binCount: 2048, domain: .signed)
        let values: [Float] = (0..<1000).map { Float($0) / 100 }       // 0 … 9.99, nothing below 0
        values.withUnsafeBufferPointer { histogram.add($0) }
        let (edges, counts) = ReportHistograms.merged(histogram)
        #expect(counts.reduce(0, +) == 1000)
        #expect(counts.count <= ReportHistograms.displayBins && edges.count == counts.count + 1)
        #expect(edges.first! >= -0.01 && edges.first! <= 0 && edges.last! >= 9.99)
    }
}
