import Foundation
import QuantKit

/// `qkit quantize --report DIR [--data FILE] [--labels KEY]`.
extension QuantizeCommand {
    /// Checks the report directory and the evaluation data before any work; nil without --report.
    func makeReporter(for model: Model) throws -> QuantizeReport? {
        guard let report else {
            if data != nil || labels != nil { throw QuantKitError.invalidArgument("--data and --labels need --report DIR") }
            return nil
        }
        return try QuantizeReport(directory: report, dataPath: data, labels: labels, model: model)
    }

    /// Measures the saved model against the input one (each in a fresh `qkit eval` process) and writes the report.
    func writeReport(_ reporter: QuantizeReport?, model: Model, result: QuantizationResult, config: QuantizationConfig,
                     calibration: DataSet?) throws {
        guard let reporter, let report else { return }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let evaluate = data.map {
            ReportEvaluator.freshProcess(executable: ReportEvaluator.currentExecutable(), data: $0,
                                         labels: reporter.labels, threads: threads)
        }
        try reporter.write(modelPath: self.model, model: model, outputPath: output, result: result, config: config,
                           calibration: calibration, evaluate: evaluate, threads: threads)
        print("wrote report \((report as NSString).appendingPathComponent("report.html"))")
    }
}
