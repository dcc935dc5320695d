import ArgumentParser
import Foundation
import QuantKit

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a data set: top-1 accuracy, latency, size on disk and peak memory.",
        discussion: """
            Accuracy is the argmax of the first output against the labels array (default key 'labels'; skipped
            when the data has none). Latency: median and p90 of --runs timed runs on --latency-batch rows.
            Example: qkit eval Fixtures/digits/model.onnx --data Fixtures/digits/test.npz
            """)

    @Argument(help: "The .onnx model.")
    var model: String

    @Option(help: "A .npz with one array per model input (first axis = samples) and optionally labels.")
    var data: String

    @Option(help: "Key of the labels array (default: 'labels' when present).")
    var labels: String?

    @Option(help: "Samples per run in the accuracy pass.")
    var batch: Int = 64

    @Option(help: "Rows per timed run.")
    var latencyBatch: Int = 1

    @Option(help: "Timed runs.")
    var runs: Int = 20

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Also write report.json, report.md and report.html into this directory (new, or holding only an earlier report).")
    var report: String?

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        guard batch >= 1, latencyBatch >= 1, runs >= 1 else {
            throw ValidationError("--batch, --latency-batch and --runs must be at least 1")
        }
    }

    func run() throws {
        var options = EvaluationOptions()
        options.batchSize = batch
        options.threads = threadOptions.threads
        options.labelsKey = labels
        options.latencyBatch = latencyBatch
        options.timedRuns = runs
        try checkReportDirectory(report)
        let dataSet = try DataSet.load(path: data)
        let progress = progressOptions.reporter("evaluating", unit: "samples")
        let result = try Evaluation.run(modelPath: model, data: dataSet, options: options, progress: progress.update)
        let written = try report.map {
            try ReportWriter.write(QuantizationReport(evaluation: result, model: ModelFile.load(model)), to: $0)
        }
        if json {
            print(try jsonText(result))
            return
        }
        let samples = "\(result.samples) samples" + (result.labelsKey.map { ", labels '\($0)'" } ?? ", no labels")
        print("model     \(result.model) (\(formatBytes(result.sizeBytes)) on disk)")
        print("data      \(result.data): \(samples)")
        if let accuracy = result.accuracy { print(String(format: "accuracy  %.2f %%", accuracy * 100)) }
        print(String(format: "latency   batch %d, %d threads: median %.3f ms, p90 %.3f ms (%d runs)",
                     result.latencyBatch, result.threads, result.latency.medianMs, result.latency.p90Ms,
                     result.latency.runs))
        print("memory    peak resident " + (result.peakResidentBytes.map(formatBytes) ?? "unknown"))
        if let written { print("report    " + written.joined(separator: ", ")) }
    }
}

/// Refuses, before any work, a `--report` directory that exists and holds files other than a report's, or
/// whose parent does not exist; a missing directory is created only when the report is written.
func checkReportDirectory(_ directory: String?) throws {
    guard let directory else { return }
    if FileManager.default.fileExists(atPath: directory) {
        try ReportWriter.prepare(directory: directory)
        return
    }
    let parent = (directory as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isDirectory),
          isDirectory.boolValue else {
        throw ReportError.writeFailed(path: directory, reason: "its parent directory '\(parent)' does not exist")
    }
}

/// Sorted-key JSON of `value`; non-finite numbers (an exact match's +∞ dB SQNR) are written as the strings
/// "Infinity", "-Infinity" and "NaN" (as in report.json).
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                  nan: "NaN")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
