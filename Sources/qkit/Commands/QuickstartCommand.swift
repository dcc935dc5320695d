import ArgumentParser
import Foundation
import QuantKit

struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Quantize a model to fp16, dynamic int8 and static int8, measure each, and write a report.",
        discussion: """
            With no arguments uses the shipped digits CNN (Fixtures/digits) and its calibration and test data. \
            The static variant uses per-channel weights and the calibration method (minmax, percentile, entropy, \
            mse) whose model output is closest to fp32 on the calibration data. Writes the variant models and \
            report.json, report.md and report.html into --output (which may hold only an earlier quickstart's \
            files).

            Example:
              qkit quickstart --model my.onnx --calibration cal.npz --data test.npz \\
                  --output my-report
            """)

    @Option(help: "The float .onnx model.")
    var model = QuickstartOptions().model

    @Option(help: "Calibration data (.npz with arrays named like the model inputs).")
    var calibration = QuickstartOptions().calibration

    @Option(help: "Evaluation data (.npz with the model inputs and, for accuracy, labels).")
    var data = QuickstartOptions().data

    @Option(help: "Key of the labels array in --data (default: 'labels' when present).")
    var labels: String?

    @Option(help: "Directory for the variant models and the report.")
    var output = QuickstartOptions().output

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        var options = QuickstartOptions()
        options.model = model
        options.calibration = calibration
        options.data = data
        options.labels = labels
        options.output = output
        options.threads = threadOptions.threads
        let evaluator = ReportEvaluator.freshProcess(executable: ReportEvaluator.currentExecutable(), data: data, labels: labels,
                                                    threads: options.threads)
        let start = Date()
        let result = try Quickstart.run(options, evaluate: evaluator) { writeStandardError($0 + "\n") }
        print("model  \(model)")
        print("data   calibration \(calibration), evaluation \(data)")
        if let choice = result.report.calibrationChoice {
            let scores = choice.candidates.map { "\($0.method) \(ReportFormat.decibels($0.score))" }
            print("static int8 calibration: \(choice.method) (output SQNR vs fp32 on calibration data: "
                + scores.joined(separator: ", ") + ")")
        }
        print("")
        print(ReportSummaryTable(result.report).text)
        print("")
        print(String(format: "done in %.1f s; report: %@", Date().timeIntervalSince(start),
                     (output as NSString).appendingPathComponent("report.html")))
    }
}
