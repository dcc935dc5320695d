import Foundation

/// The report of one `qkit quantize … --report DIR` run: the float model and the quantized one, the quantizer's
/// decisions, sizes, histograms with each calibration method's clip range, and — when evaluation data is given —
/// accuracy, latency, memory and per-layer error against the float model.
///
/// Made in two steps so that every check happens before the quantization starts: ``init(directory:dataPath:labels:model:)``
/// validates the directory and the data, ``write(modelPath:model:outputPath:result:config:calibration:evaluate:threads:)``
/// measures and writes.
public struct QuantizeReport {
    /// Layers whose weight and activation histograms the report draws.
    public static let histogramLayers = 3

    public let directory: String
    /// Evaluation data, checked against the model's inputs.
    public let data: DataSet?
    /// Labels key: the one given, or "labels" when the data has that array; nil skips accuracy.
    public let labels: String?

    /// Checks that `directory` may take a report (see ``ReportWriter/validate(directory:extraFiles:)``) and that
    /// the data at `dataPath` (if any) feeds `model` and holds the labels.
    public init(directory: String, dataPath: String?, labels: String?, model: Model) throws {
        try ReportWriter.validate(directory: directory)
        self.directory = directory
        guard let dataPath else {
            if labels != nil { throw QuantKitError.invalidArgument("--labels needs --data (the evaluation data)") }
            data = nil
            self.labels = nil
            return
        }
        let data = try DataSet.load(path: dataPath)
        let samples = try data.inputs(for: model.graph).values.first?.shape.first ?? 0
        let found = try Evaluation.labels(in: data, key: labels, samples: samples)
        self.data = data
        self.labels = found == nil ? nil : (labels ?? "labels")
    }

    /// Builds the report for `result` (the quantization of `model`, read from `modelPath`, saved at `outputPath`)
    /// and writes it; returns the report files. `evaluate` measures a model file (defaults to
    /// ``ReportEvaluator/inProcess(data:options:)``); without data only sizes, decisions and histograms are
    /// reported. Histograms use `calibration` (else the evaluation data) for activations.
    @discardableResult
    public func write(modelPath: String, model: Model, outputPath: String, result: QuantizationResult,
                      config: QuantizationConfig, calibration: DataSet?, evaluate: ReportEvaluator.Evaluate? = nil,
                      threads: Int = 1) throws -> [String] {
        var reference = QuantizationReport.Variant(
            name: "fp32", isReference: true, mode: "fp32", configSummary: "the float model as given",
            path: modelPath, sizeBytes: try Evaluation.sizeOnDisk(modelPath),
            weightBytes: QuantizationResult.weightBytes(model))
        var variant = QuantizationReport.Variant(
            name: QuantizationReport.variantName(for: config), mode: config.mode.rawValue,
            configSummary: QuantizationReport.describe(config), path: outputPath,
            sizeBytes: try Evaluation.sizeOnDisk(outputPath), weightBytes: result.sizeAfter,
            decisions: result.decisions.map(QuantizationReport.Decision.init))
        var notes: [String] = []
        if let data {
            var options = EvaluationOptions()
            options.threads = threads
            options.labelsKey = labels
            let measure = evaluate ?? ReportEvaluator.inProcess(data: data, options: options)
            reference.apply(try measure(modelPath))
            variant.apply(try measure(outputPath))
            variant.apply(try ModelComparison.run(referencePath: modelPath, quantizedPath: outputPath, data: data,
                                                  threads: threads))
            if labels == nil { notes.append("\(data.path) has no labels: accuracy not measured.") }
        } else {
            notes.append("No evaluation data (--data): accuracy, latency, memory and per-layer error not measured.")
        }
        let layers: [String]
        if !variant.layers.isEmpty {
            layers = variant.layers.filter { $0.opType != "input" }.prefix(Self.histogramLayers).map(\.tensor)
            notes.append("Histograms: the \(layers.count) layers with the lowest SQNR.")
        } else {
            layers = Self.firstQuantizedWeightLayers(model: model, decisions: result.decisions)
            notes.append("Histograms: the first \(layers.count) quantized layers with weights (give --data to rank "
                + "layers by error).")
        }
        let activationData = calibration ?? data
        let feeds = try activationData.map { try $0.inputs(for: model.graph) } ?? [:]
        if activationData == nil { notes.append("No calibration or evaluation data: activation histograms not drawn.") }
        let histograms = try ReportHistograms.collect(model: model, layerOutputs: layers, calibration: feeds,
                                                      config: config, threads: threads)
        let report = QuantizationReport(
            producedBy: "qkit quantize", model: .init(model: model, path: modelPath),
            data: .init(calibrationPath: calibration?.path,
                        calibrationSamples: try calibration.map { try $0.inputs(for: model.graph) }?.values.first?.shape.first,
                        evaluationPath: data?.path,
                        evaluationSamples: try data.map { try $0.inputs(for: model.graph) }?.values.first?.shape.first,
                        labelsKey: labels),
            variants: [reference, variant], histograms: histograms, notes: notes)
        return try ReportWriter.write(report, to: directory)
    }

    /// Output names of the first `histogramLayers` quantized nodes that hold a float weight, in graph order.
    static func firstQuantizedWeightLayers(model: Model, decisions: [QuantizationDecision]) -> [String] {
        let quantized = Set(decisions.filter { $0.action != .keptFloat }.map(\.node))
        return model.graph.nodes.filter { node in
            quantized.contains(node.name) && ReportHistograms.nearestWeight(from: node, in: model.graph)?.node.name == node.name
        }.prefix(histogramLayers).compactMap(\.outputs.first)
    }
}
