@testable import QuantKit

/// A small hand-written report used by the report tests; node names hold HTML/Markdown special characters.
enum ReportSample {
    static let oddName = "conv<1>&\"x\"|y"

    static func report() -> QuantizationReport {
        let model = QuantizationReport.ModelInfo(path: "model.onnx", nodes: 3, parameters: 120,
                                                 opCounts: ["Conv": 1, "Relu": 1, "Gemm": 1],
                                                 inputs: ["input: float32[N, 1, 28, 28]"], outputs: ["logits: float32[N, 10]"])
        let reference = QuantizationReport.Variant(
            name: "fp32", isReference: true, mode: "fp32", configSummary: "float32 reference", sizeBytes: 100_000,
            weightBytes: 96_000, accuracy: 0.9875, latency: .init(medianMs: 0.75, p90Ms: 0.91, runs: 20, batchSize: 1),
            peakRSSBytes: 52_428_800)
        let layers = [
            QuantizationReport.TensorMetrics(tensor: "c1", node: oddName, opType: "Conv", sqnrDb: 31.25, cosine: 0.99962,
                                             maxAbsError: 0.0421, meanAbsError: 0.0031),
            QuantizationReport.TensorMetrics(tensor: "g1", node: "fc", opType: "Gemm", sqnrDb: 38.5, cosine: 0.99993,
                                             maxAbsError: 0.0107, meanAbsError: 0.0009),
            QuantizationReport.TensorMetrics(tensor: "r1", node: "relu", opType: "Relu", sqnrDb: .infinity, cosine: 1,
                                             maxAbsError: 0, meanAbsError: 0),
        ]
        let quantized = QuantizationReport.Variant(
            name: "static int8", mode: "static", configSummary: "QDQ, int8 per-channel weights, entropy",
            path: "static-int8.onnx", sizeBytes: 27_500, weightBytes: 24_100, accuracy: 0.9825, top1Agreement: 0.9950,
            outputMetrics: [.init(tensor: "logits", node: "fc", opType: "Gemm", sqnrDb: 29.75, cosine: 0.99947,
                                  maxAbsError: 0.3125, meanAbsError: 0.0412)],
            layers: layers, latency: .init(medianMs: 0.5, p90Ms: 0.62, runs: 20, batchSize: 1), peakRSSBytes: 60_817_408,
            decisions: [.init(node: oddName, opType: "Conv", action: "quantized", reason: ""),
                        .init(node: "soft<max>", opType: "Softmax", action: "keptFloat", reason: "no quantized form for Softmax")])
        let histogram = QuantizationReport.TensorHistogram(
            tensor: "c1", node: oddName, opType: "Conv", kind: .activation, binEdges: [-2, -1, 0, 1, 2],
            counts: [1, 10, 30, 2.5], observedMin: -1.75, observedMax: 1.9,
            clipRanges: [.init(method: "minmax", min: -1.75, max: 1.9), .init(method: "percentile", min: -1.5, max: 1.5),
                         .init(method: "entropy", min: -1.25, max: 1.25), .init(method: "mse", min: -1.0, max: 1.375)])
        let choice = QuantizationReport.CalibrationChoice(
            method: "entropy", criterion: "highest output SQNR vs fp32 on the calibration data",
            candidates: [.init(method: "minmax", score: 27.5), .init(method: "entropy", score: 29.75)], scoreUnit: "dB")
        return QuantizationReport(producedBy: "qkit test", model: model,
                                  data: .init(calibrationPath: "cal.npz", calibrationSamples: 100, evaluationPath: "test.npz",
                                              evaluationSamples: 400, labelsKey: "labels"),
                                  variants: [reference, quantized], histograms: [histogram], calibrationChoice: choice,
                                  notes: ["a note with <b>markup</b> & an ampersand"])
    }
}
