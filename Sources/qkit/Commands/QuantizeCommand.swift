import ArgumentParser
import Foundation
import QuantKit

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a float ONNX model: static int8 with calibration (QDQ or QOperator), dynamic int8, fp16 or bf16.",
        discussion: """
            Prints every node kept in float with the reason, and the weight size before → after. \
            --config reads a QuantizationConfig from JSON, or YAML for .yaml/.yml files; flags given on the command \
            line override it.

            Example:
              qkit quantize Fixtures/digits/model.onnx -o digits-int8.onnx --mode static \\
                  --calibration Fixtures/digits/calibration.npz --per-channel

            4-bit weights (QDQ, opset 21): --weight-type int4 --per-channel, or --block-size 32 for blocks along \
            the reduction axis.
            """)

    @Argument(help: "The float .onnx model to read (never modified).")
    var model: String

    @Option(name: .shortAndLong, help: "Path of the quantized .onnx file to write.")
    var output: String

    @Option(help: "dynamic | static | fp16 | bf16.")
    var mode: String?

    @Option(help: "Calibration data: .npz, .npy or a directory of them (arrays named like the model inputs).")
    var calibration: String?

    @Option(help: "qdq | qoperator.")
    var format: String?

    @Option(help: "minmax | moving-average | percentile | entropy | mse.")
    var method: String?

    @Flag(help: "Per-channel weight scales.")
    var perChannel = false

    @Flag(help: "Static weight ranges clipped to the least squared quantization error (helps 4-bit weights).")
    var clipWeights = false

    @Flag(help: "Static QDQ: choose each weight's rounding (floor or ceil) to minimize its layer's output error on the calibration data (AdaRound).")
    var adaround = false

    @Flag(help: "Symmetric activations (weights are symmetric by default).")
    var symmetric = false

    @Option(help: "int8 | uint8 | int16 | uint16 | int4 | uint4 (4-bit: static QDQ only).")
    var weightType: String?

    @Option(help: "Per-block weight scales: N consecutive weights along the reduction axis share one (QDQ, opset 21).")
    var blockSize: Int?

    @Option(help: "uint8 | int8 | int16 | uint16.")
    var activationType: String?

    @Option(help: "Comma-separated node names to leave in float, or @FILE (names by comma or line, e.g. from `qkit sensitivity --write-exclude`).")
    var excludeNodes: String?

    @Option(help: "Comma-separated op types to leave in float.")
    var excludeOps: String?

    @Option(help: "QuantizationConfig file: JSON, or YAML when named .yaml/.yml.")
    var config: String?

    @Option(help: "Calibration samples per run.")
    var batchSize: Int = 64

    @Option(help: "Write report.json, report.md and report.html into this directory (new, or holding only a report).")
    var report: String?

    @Option(help: "Evaluation data for --report: accuracy, latency and per-layer error against the float model.")
    var data: String?

    @Option(help: "Key of the labels array in --data (default: 'labels' when present).")
    var labels: String?

    @OptionGroup var progressOptions: ProgressOptions

    func run() throws {
        try ModelFile.requireDistinct(input: model, output: output)
        try requireWritableDirectory(of: output)
        let settings = try makeConfig()
        try checkAdaRound(settings)
        let loaded = try ModelFile.load(model)
        if let node = loaded.graph.nodes.first(where: { StaticQuantizer.quantizedOps.contains($0.opType) }) {
            throw StaticQuantizationError.alreadyQuantized(node: node.displayName, opType: node.opType)
        }
        let reporter = try makeReporter(for: loaded)
        let data = try calibration.map { try DataSet.load(path: $0) }
        let progress = progressOptions.reporter("calibrating", unit: "samples")
        var result = try Quantizer.quantize(loaded, config: settings, calibration: data, progress: progress.update)
        try applyAdaRound(to: &result, float: loaded, calibration: data)
        try ModelFile.save(result.model, to: output)
        print(result.summary)
        print("wrote \(output)")
        try writeReport(reporter, model: loaded, result: result, config: settings, calibration: data)
    }

    /// The config file (if any) with the flags applied on top.
    func makeConfig() throws -> QuantizationConfig {
        var settings = QuantizationConfig()
        if let path = config { settings = try QuantizationConfig.load(contentsOfFile: path) }
        if let mode { settings.mode = try parse(mode, "--mode", QuantizationConfig.Mode.init(rawValue:)) }
        if let format { settings.format = try parse(format, "--format", QuantizationConfig.Format.init(rawValue:)) }
        if let method { settings.calibration = try parse(method, "--method", Self.methods) }
        if perChannel { settings.perChannel = true }
        if clipWeights { settings.clipWeights = true }
        if let blockSize {
            guard blockSize >= 1 else { throw QuantKitError.invalidArgument("--block-size: must be ≥ 1, got \(blockSize)") }
            guard !perChannel else { throw QuantKitError.invalidArgument("--block-size and --per-channel exclude each other") }
            settings.weightGranularity = .perBlock(size: blockSize, axis: nil)
        }
        if symmetric { settings.activationSymmetric = true }
        if let weightType { settings.weightType = try parse(weightType, "--weight-type", QuantType.init(rawValue:)) }
        if let activationType {
            settings.activationType = try parse(activationType, "--activation-type", QuantType.init(rawValue:))
        }
        if let excludeNodes { settings.excludeNodes += try Self.nodeList(excludeNodes) }
        if let excludeOps { settings.excludeOpTypes += Self.list(excludeOps) }
        return settings
    }

    /// Calibration methods by CLI name, with QuantKit's default parameters (ONNX Runtime's).
    static func methods(_ name: String) -> QuantizationConfig.CalibrationMethod? {
        let table: [String: QuantizationConfig.CalibrationMethod] = [
            "minmax": .minMax,
            "moving-average": .movingAverage(averagingConstant: 0.01),
            "percentile": .percentile(99.999, bins: 2048),
            "entropy": .entropy(bins: 2048, quantizedBins: 128),
            "mse": .mse(bins: 2048),
        ]
        return table[name]
    }

    static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// `a,b,c`, or `@FILE` holding names separated by commas or newlines.
    static func nodeList(_ text: String) throws -> [String] {
        guard text.hasPrefix("@") else { return list(text) }
        let path = String(text.dropFirst())
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw QuantKitError.unreadableFile(path: path, reason: "cannot read the --exclude-nodes list")
        }
        return list(String(decoding: contents, as: UTF8.self))
    }

    func parse<T>(_ text: String, _ flag: String, _ make: (String) -> T?) throws -> T {
        guard let value = make(text) else { throw QuantKitError.invalidArgument("\(flag): unknown value '\(text)'") }
        return value
    }

    func requireWritableDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw QuantKitError.invalidArgument("\(path): output directory '\(folder)' does not exist")
        }
        // A probe file, not just the permission bits: root passes isWritableFile on read-only mounts like /sys,
        // and the failure must come before calibration, not after it.
        let probe = (folder as NSString).appendingPathComponent(".qkit-write-probe-\(getpid())")
        guard FileManager.default.isWritableFile(atPath: folder),
              FileManager.default.createFile(atPath: probe, contents: Data()) else {
            throw QuantKitError.invalidArgument("\(path): output directory '\(folder)' is not writable")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }
}
