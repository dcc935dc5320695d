import ArgumentParser
import Foundation
import QuantKit

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a quantized model with its float reference, tensor by tensor.",
        discussion: """
            Runs both models on --data and pairs each reference tensor with its quantized counterpart (QDQ \
            DequantizeLinear outputs, QOperator 8-bit tensors read through their scale and zero point, or the \
            same name). Prints SQNR (dB), cosine similarity and max/mean absolute error per layer, worst first, \
            the same for the outputs, and how often the top-1 predictions agree.

            Example:
              qkit compare Fixtures/digits/model.onnx digits-int8.onnx \\
                  --data Fixtures/digits/test.npz
            """)

    @Argument(help: "The float reference .onnx model.")
    var reference: String

    @Argument(help: "The quantized .onnx model.")
    var quantized: String

    @Option(help: "A .npz with one array per model input (first axis = samples).")
    var data: String

    @Option(help: "Samples per run.")
    var batch: Int = 16

    @Option(help: "Show only the N worst layers (0: all).")
    var top: Int = 0

    @Option(help: "Key of the labels array for each model's accuracy (default: 'labels' when present).")
    var labels: String?


    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var resultOptions: ResultOptions

    func validate() throws {
        guard batch >= 1, top >= 0 else { throw ValidationError("--batch must be at least 1 and --top at least 0") }
    }

    func run() throws {
        try resultOptions.checkReportDirectory()
        let dataSet = try DataSet.load(path: data)
        let progress = progressOptions.reporter("comparing", unit: "samples")
        let result = try ModelComparison.run(referencePath: reference, quantizedPath: quantized, data: dataSet,
                                             labels: labels, batchSize: batch, threads: threadOptions.threads,
                                             progress: progress.update)
        let written = try resultOptions.writeReport {
            try QuantizationReport(comparison: result, reference: ModelFile.load(reference),
                                   quantized: ModelFile.load(quantized))
        }
        if resultOptions.json {
            print(try jsonText(result))
            return
        }
        print("reference \(result.reference)")
        print("quantized \(result.quantized)")
        print("data      \(result.data): \(result.samples) samples")
        if let agreement = result.top1Agreement { print(String(format: "top-1 agreement %.2f %%", agreement * 100)) }
        if let a = result.referenceAccuracy, let b = result.quantizedAccuracy {
            print(String(format: "accuracy  %.2f %% → %.2f %%", a * 100, b * 100))
        }
        print("size      \(formatBytes(result.referenceSizeBytes)) → \(formatBytes(result.quantizedSizeBytes))")
        print("")
        print("outputs")
        print(ComparisonTable.text(result.outputs))
        let shown = top > 0 ? Array(result.layers.prefix(top)) : result.layers
        print("")
        print("layers, worst first (\(shown.count) of \(result.layers.count))")
        print(ComparisonTable.text(shown))
        if !result.unmatched.isEmpty {
            print("")
            print("not in the quantized model: " + result.unmatched.joined(separator: ", "))
        }
        if let written { print("report    " + written.joined(separator: ", ")) }
    }
}

/// Fixed-width table of ``LayerComparison`` rows.
enum ComparisonTable {
    static func text(_ rows: [LayerComparison]) -> String {
        let width = max(6, rows.map(\.tensor.count).max() ?? 0)
        let opWidth = max(2, rows.map(\.opType.count).max() ?? 0)
        var lines = ["tensor".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
            + "op".padding(toLength: opWidth, withPad: " ", startingAt: 0)
            + "    SQNR dB     cosine    max |err|   mean |err|"]
        for row in rows {
            let m = row.metrics
            lines.append(row.tensor.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + row.opType.padding(toLength: opWidth, withPad: " ", startingAt: 0) + " "
                + " " + rightAligned(decibels(m.sqnrDB), 9)
                + String(format: "  %9.6f  %11.4g  %11.4g", m.cosine, m.maxAbsError, m.meanAbsError))
        }
        return lines.joined(separator: "\n")
    }

    /// `text` padded on the left to `width` characters.
    static func rightAligned(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// "42.17", "inf" for an exact match.
    static func decibels(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2f", value) : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }
}
