import Foundation
import QKGraph
import QKTensor

/// Inputs of ``Quickstart/run(_:evaluate:log:)``; the defaults are the shipped digits CNN and its data.
public struct QuickstartOptions: Sendable {
    /// The float .onnx model.
    public var model = "Fixtures/digits/model.onnx"
    /// Calibration data (arrays named like the model inputs).
    public var calibration = "Fixtures/digits/calibration.npz"
    /// Evaluation data (the model inputs, and labels for accuracy).
    public var data = "Fixtures/digits/test.npz"
    /// Key of the labels array in `data`; nil uses "labels" when present and skips accuracy otherwise.
    public var labels: String?
    /// Directory for the variant models and the report.
    public var output = "quantkit-report"
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init() {}
}

/// What ``Quickstart/run(_:evaluate:log:)`` produced.
public struct QuickstartResult: Sendable {
    public var report: QuantizationReport
    /// Paths of the report files written (json, md, html).
    public var reportFiles: [String]
}

/// The README's main job: quantize one float model three ways, measure every variant, and write the report.
///
/// 1. Checks the inputs (model not yet quantized, data arrays match its inputs, labels) and the output
///    directory (new, or holding only an earlier quickstart's files) before any work.
/// 2. Makes fp16, dynamic int8 (ONNX Runtime's defaults), and static int8 QDQ with per-channel weights, whose
///    calibration method is chosen by ``CalibrationSelection`` on the calibration data (never the test data).
///    The variants are saved beside the report as ``variantFiles``.
/// 3. Evaluates fp32 and each variant (``Evaluation``: accuracy, size on disk, single-sample latency, peak
///    memory), compares each variant with fp32 tensor by tensor (``ModelComparison``), and draws the weight and
///    activation histograms of the static variant's worst layers (``ReportHistograms``).
public enum Quickstart {
    /// Files the quickstart writes into its output directory besides the report.
    public static let variantFiles = ["fp16.onnx", "dynamic-int8.onnx", "static-int8.onnx"]
    /// Layers of the static variant whose histograms the report draws.
    public static let histogramLayers = 3

    /// Runs the quickstart. `evaluate` defaults to ``Evaluation/run(modelPath:data:options:progress:)`` in this
    /// process (whose peak memory then only grows from one variant to the next; the CLI evaluates each variant in
    /// a fresh process instead). `log` receives one line per step.
    public static func run(_ options: QuickstartOptions, evaluate: ReportEvaluator.Evaluate? = nil,
                           log: (String) -> Void = { _ in }) throws -> QuickstartResult {
        let model = try ModelFile.load(options.model)
        if Quantizer.isQuantized(model) {
            throw QuantKitError.invalidFile(path: options.model, reason: "the model is already quantized; quickstart needs a float model")
        }
        let calibration = try DataSet.load(path: options.calibration)
        let calibrationFeeds = try calibration.inputs(for: model.graph)
        let data = try DataSet.load(path: options.data)
        let samples = try data.inputs(for: model.graph).values.first?.shape.first ?? 0
        let labels = try Evaluation.labels(in: data, key: options.labels, samples: samples)
        try ReportWriter.validate(directory: options.output, extraFiles: variantFiles)

        log("choosing the calibration method on \(options.calibration)")
        let choice = try CalibrationSelection.choose(model: model, calibration: calibrationFeeds, base: staticConfig(),
                                                     threads: options.threads)
        var staticSettings = staticConfig()
        staticSettings.calibration = choice.method
        let plans: [(name: String, file: String, config: QuantizationConfig)] = [
            ("fp16", variantFiles[0], config(mode: .fp16)),
            ("dynamic int8", variantFiles[1], config(mode: .dynamic)),
            ("static int8", variantFiles[2], staticSettings),
        ]
        var evaluationOptions = EvaluationOptions()
        evaluationOptions.threads = options.threads
        evaluationOptions.labelsKey = options.labels
        let measure = evaluate ?? ReportEvaluator.inProcess(data: data, options: evaluationOptions)

        log("evaluating fp32")
        try ReportWriter.prepare(directory: options.output, extraFiles: variantFiles)
        var reference = QuantizationReport.Variant(name: "fp32", isReference: true, mode: "fp32",
                                                   configSummary: "the float model as given",
                                                   weightBytes: QuantizationResult.weightBytes(model))
        reference.apply(try measure(options.model))
        var variants = [reference]
        for plan in plans {
            log("quantizing and evaluating \(plan.name)")
            let result = try Quantizer.quantize(model, config: plan.config, calibration: calibration)
            let path = (options.output as NSString).appendingPathComponent(plan.file)
            try ModelFile.save(result.model, to: path)
            var variant = QuantizationReport.Variant(
                name: plan.name, mode: plan.config.mode.rawValue, configSummary: QuantizationReport.describe(plan.config), path: path,
                weightBytes: result.sizeAfter, decisions: result.decisions.map(QuantizationReport.Decision.init))
            variant.apply(try measure(path))
            variant.apply(try ModelComparison.run(referencePath: options.model, quantizedPath: path, data: data,
                                                  threads: options.threads))
            variants.append(variant)
        }

        log("drawing histograms")
        let worst = variants.last?.layers.filter { $0.opType != "input" }.prefix(histogramLayers).map(\.tensor) ?? []
        let histograms = try ReportHistograms.collect(model: model, layerOutputs: Array(worst),
                                                      calibration: calibrationFeeds, config: staticSettings,
                                                      threads: options.threads)
        var notes = ["Latency: median and p90 of 20 single-sample runs after 3 warm-up runs, "
            + "\(options.threads) thread(s). Peak memory: resident high-water mark of the evaluating process."]
        notes.append("Histograms: the \(worst.count) layers of static int8 with the lowest SQNR; activations over "
            + "the calibration data.")
        if labels == nil { notes.append("\(options.data) has no labels: accuracy not measured.") }
        let report = QuantizationReport(
            producedBy: "qkit quickstart", model: .init(model: model, path: options.model),
            data: .init(calibrationPath: options.calibration, calibrationSamples: calibrationFeeds.values.first?.shape.first,
                        evaluationPath: options.data, evaluationSamples: samples,
                        labelsKey: labels == nil ? nil : (options.labels ?? "labels")),
            variants: variants, histograms: histograms, calibrationChoice: choice.report, notes: notes)
        let files = try ReportWriter.write(report, to: options.output, extraFiles: variantFiles)
        return QuickstartResult(report: report, reportFiles: files)
    }

    /// Static int8 QDQ with per-channel weights (the other settings QuantKit's defaults).
    static func staticConfig() -> QuantizationConfig {
        var settings = QuantizationConfig()
        settings.perChannel = true
        return settings
    }

    static func config(mode: QuantizationConfig.Mode) -> QuantizationConfig {
        var settings = QuantizationConfig()
        settings.mode = mode
        return settings
    }
}
