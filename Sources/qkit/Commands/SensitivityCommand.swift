import ArgumentParser
import Foundation
import QuantKit

struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Rank layers by the error each causes when it alone is quantized.",
        discussion: """
            Quantizes one layer at a time (all others stay float) with the given config, runs each variant on \
            --data and ranks the layers worst first by output SQNR (or by accuracy drop with --rank-by accuracy). \
            Prints a ready-to-paste --exclude-nodes list of the --top worst layers; --write-exclude FILE writes \
            it one name per line for `qkit quantize --exclude-nodes @FILE`.

            Example:
              qkit sensitivity Fixtures/digits/model.onnx --data Fixtures/digits/test.npz \\
                  --calibration Fixtures/digits/calibration.npz --per-channel --top 2
            """)

    @Argument(help: "The float .onnx model.")
    var model: String

    @Option(help: "Evaluation data: a .npz with one array per model input, and optionally labels.")
    var data: String

    @Option(help: "Calibration data (default: --data).")
    var calibration: String?

    @Option(help: "JSON file with a QuantizationConfig (default: static QDQ, MinMax).")
    var config: String?

    @Option(help: "minmax | moving-average | percentile | entropy | mse.")
    var method: String?

    @Flag(help: "Per-channel weight scales.")
    var perChannel = false

    @Option(help: "Key of the labels array (default: 'labels' when present).")
    var labels: String?

    @Option(help: "sqnr | accuracy.")
    var rankBy: String = "sqnr"

    @Option(help: "How many of the worst layers go in the suggested --exclude-nodes list.")
    var top: Int = 3

    @Option(help: "Write the --top worst node names to this file, one per line.")
    var writeExclude: String?

    @Option(help: "Samples per run.")
    var batch: Int = 64

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var resultOptions: ResultOptions

    func validate() throws {
        guard batch >= 1, top >= 0 else { throw ValidationError("--batch must be at least 1 and --top at least 0") }
        guard SensitivityResult.Ranking(rawValue: rankBy) != nil else {
            throw ValidationError("--rank-by must be one of: sqnr, accuracy")
        }
        if let method, QuantizeCommand.methods(method) == nil {
            throw ValidationError("--method: unknown value '\(method)'")
        }
    }

    func run() throws {
        try resultOptions.checkReportDirectory()
        var settings = QuantizationConfig()
        if let path = config {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw QuantKitError.unreadableFile(path: path, reason: "cannot read the config file")
            }
            settings = try JSONDecoder().decode(QuantizationConfig.self, from: contents)
        }
        if let method, let chosen = QuantizeCommand.methods(method) { settings.calibration = chosen }
        if perChannel { settings.perChannel = true }
        let loaded = try ModelFile.load(model)
        let evaluation = try DataSet.load(path: data)
        let calibrationSet = try calibration.map { try DataSet.load(path: $0) } ?? evaluation
        let progress = progressOptions.reporter("quantizing layers", unit: "variants")
        let result = try SensitivityAnalysis.run(
            model: loaded, modelPath: model, config: settings, calibration: calibrationSet, data: evaluation,
            labels: labels, ranking: SensitivityResult.Ranking(rawValue: rankBy) ?? .sqnr, batchSize: batch,
            threads: threadOptions.threads, progress: progress.update)
        if let writeExclude {
            let names = result.layers.prefix(top).map(\.node).joined(separator: "\n") + "\n"
            do {
                try Data(names.utf8).write(to: URL(fileURLWithPath: writeExclude), options: .atomic)
            } catch {
                throw QuantKitError.invalidArgument("\(writeExclude): cannot write the exclude list (\(error.localizedDescription))")
            }
        }
        let written = try resultOptions.writeReport { try QuantizationReport(sensitivity: result, model: loaded) }
        if resultOptions.json {
            print(try jsonText(result))
            return
        }
        print(SensitivityTable.text(result))
        print("")
        let list = result.excludeList(worst: top)
        if list.isEmpty {
            print("no layer to exclude")
        } else {
            print("keep the \(min(top, result.layers.count)) worst in float: --exclude-nodes \(list)")
        }
        if let writeExclude { print("wrote \(writeExclude) (use: qkit quantize … --exclude-nodes @\(writeExclude))") }
        if let written { print("report: " + written.joined(separator: ", ")) }
    }
}

/// Text form of a ``SensitivityResult``.
enum SensitivityTable {
    static func text(_ result: SensitivityResult) -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f %%", $0 * 100) } ?? "-" }
        var lines = ["model \(result.model), data \(result.data) (\(result.samples) samples)"]
        if let accuracy = result.floatAccuracy { lines.append("float accuracy \(percent(accuracy))") }
        let all = result.allQuantized
        lines.append("all layers quantized: output SQNR \(ComparisonTable.decibels(all.output.sqnrDB)) dB, "
            + "top-1 agreement \(percent(all.top1Agreement)), accuracy \(percent(all.accuracy))")
        lines.append("")
        let width = max(4, result.layers.map(\.node.count).max() ?? 0)
        lines.append("rank  " + "node".padding(toLength: width, withPad: " ", startingAt: 0)
            + "  op                SQNR dB   top-1 agree   accuracy   drop")
        for (index, entry) in result.layers.enumerated() {
            lines.append(String(format: "%4d  ", index + 1) + entry.node.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  " + entry.opType.padding(toLength: 14, withPad: " ", startingAt: 0)
                + " " + ComparisonTable.rightAligned(ComparisonTable.decibels(entry.output.sqnrDB), 9)
                + "  " + ComparisonTable.rightAligned(percent(entry.top1Agreement), 12)
                + "  " + ComparisonTable.rightAligned(percent(entry.accuracy), 9)
                + "  " + ComparisonTable.rightAligned(percent(entry.accuracyDrop), 8))
        }
        for decision in result.notQuantizableAlone {
            lines.append("   -  \(decision.node) (\(decision.opType)): not quantized alone: \(decision.reason)")
        }
        return lines.joined(separator: "\n")
    }
}
