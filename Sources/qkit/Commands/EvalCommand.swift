import ArgumentParser
import Foundation
import QuantKit

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a data set: top-1 accuracy, latency, size on disk and peak memory.",
        discussion: """
            Accuracy is the argmax of the first output against the labels array (default key 'labels'; skipped \
            when the data has none). Latency: median and p90 of --runs timed runs on --latency-batch rows.

            Example:
              qkit eval Fixtures/digits/model.onnx --data Fixtures/digits/test.npz
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


    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var resultOptions: ResultOptions

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
        try resultOptions.checkReportDirectory()
        let dataSet = try DataSet.load(path: data)
        let progress = progressOptions.reporter("evaluating", unit: "samples")
        let timing = progressOptions.reporter("timing", unit: "runs")
        let result = try Evaluation.run(modelPath: model, data: dataSet, options: options, progress: progress.update,
                                        latencyProgress: timing.update)
        let written = try resultOptions.writeReport { try QuantizationReport(evaluation: result, model: ModelFile.load(model)) }
        if resultOptions.json {
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
