import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// Picks a static quantization's calibration method by measurement: each candidate method quantizes the model
/// (all other settings from a base config), both models run on the calibration data, and the method whose
/// quantized model's first output has the highest SQNR against the float model's wins (first candidate on ties).
///
/// SQNR = 10·log10(Σx² / Σ(x − x̂)²) over every element of the output on every calibration sample (see
/// ``ErrorMetrics``). Using the calibration data keeps the test data unseen by every choice.
public enum CalibrationSelection {
    /// The methods tried, by CLI name, with ONNX Runtime's default parameters.
    public static let candidates: [(name: String, method: QuantizationConfig.CalibrationMethod)] =
        ReportHistograms.methods

    /// The winner and every candidate's score.
    public struct Choice: Sendable {
        public var name: String
        public var method: QuantizationConfig.CalibrationMethod
        /// The report form: criterion and each candidate's output SQNR in dB.
        public var report: QuantizationReport.CalibrationChoice
    }

    /// Tries every candidate on `calibration` (arrays for the model's runtime inputs) and returns the best.
    public static func choose(model: Model, calibration: [String: Tensor], base: QuantizationConfig,
                              batchSize: Int = 64, threads: Int = 1) throws -> Choice {
        guard let output = model.graph.outputs.first?.name else {
            throw QuantKitError.invalidArgument("the model has no outputs to measure calibration methods on")
        }
        let referenceRunner = try Interpreter(model: model, threads: threads)
        let reference = try BatchRunner.run(referenceRunner, feeds: calibration, batchSize: batchSize)[output]
        var scores: [QuantizationReport.CalibrationChoice.Candidate] = []
        for candidate in candidates {
            var settings = base
            settings.mode = .static
            settings.calibration = candidate.method
            let quantized = try StaticQuantizer.quantize(model, config: settings, feeds: calibration).model
            let runner = try Interpreter(model: quantized, threads: threads)
            let actual = try BatchRunner.run(runner, feeds: calibration, batchSize: batchSize)[output]
            let sqnr = ErrorMetrics(reference: reference?.floatValues ?? [], candidate: actual?.floatValues ?? []).sqnrDB
            scores.append(.init(method: candidate.name, score: sqnr))
        }
        var best = 0
        for index in scores.indices where scores[index].score > scores[best].score { best = index }
        let criterion = "highest SQNR of the model output '\(output)' against fp32 on the "
            + "\(calibration.values.first?.shape.first ?? 0) calibration samples, each method quantizing the model "
            + "with the same other settings"
        return Choice(name: candidates[best].name, method: candidates[best].method,
                      report: .init(method: candidates[best].name, criterion: criterion, candidates: scores,
                                    scoreUnit: "dB"))
    }
}
