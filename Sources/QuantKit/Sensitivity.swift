import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// The damage one layer does when it alone is quantized.
public struct SensitivityEntry: Codable, Sendable, Equatable {
    /// The node quantized (its name, usable in `excludeNodes`), and its op type.
    public var node: String
    public var opType: String
    /// Every node quantized in this trial: the node and the Relu/Clip fused into it.
    public var quantizedNodes: [String]
    /// Error of the model outputs (all outputs together) against the float model.
    public var output: ErrorMetrics
    /// Share of samples whose top-1 prediction matches the float model's (nil for non-classifier outputs).
    public var top1Agreement: Double?
    /// Top-1 accuracy with this layer quantized, and the float accuracy minus it (nil without labels).
    public var accuracy: Double?
    public var accuracyDrop: Double?

    public init(node: String, opType: String, quantizedNodes: [String], output: ErrorMetrics,
                top1Agreement: Double? = nil, accuracy: Double? = nil, accuracyDrop: Double? = nil) {
        self.node = node
        self.opType = opType
        self.quantizedNodes = quantizedNodes
        self.output = output
        self.top1Agreement = top1Agreement
        self.accuracy = accuracy
        self.accuracyDrop = accuracyDrop
    }
}

/// What `qkit sensitivity` finds: every quantizable layer's cost alone, ranked worst first.
public struct SensitivityResult: Codable, Sendable, Equatable {
    public enum Ranking: String, Codable, Sendable, CaseIterable {
        /// Lowest output SQNR first.
        case sqnr
        /// Largest accuracy drop first (ties by SQNR); needs labels.
        case accuracy
    }

    public var model: String
    public var data: String
    public var samples: Int
    public var config: QuantizationConfig
    public var ranking: Ranking
    /// Accuracy of the float model (nil without labels).
    public var floatAccuracy: Double?
    /// The whole model quantized with the config, for reference.
    public var allQuantized: SensitivityEntry
    /// One entry per quantizable layer, worst first.
    public var layers: [SensitivityEntry]
    /// Layers the full run quantizes that cannot be quantized alone (e.g. MaxPool, which only shares its
    /// producer's scale), with the quantizer's reason.
    public var notQuantizableAlone: [QuantizationDecision]

    /// Node names of the `count` worst layers, comma-separated: the value for `qkit quantize --exclude-nodes`.
    public func excludeList(worst count: Int) -> String {
        layers.prefix(count).map(\.node).joined(separator: ",")
    }
}

/// Per-layer sensitivity analysis: quantize one layer at a time, everything else in float.
public enum SensitivityAnalysis {
    /// Quantizes `model` with `config` once to learn which nodes it quantizes, then once per such node with
    /// `includeNodes` = that node (plus the Relu/Clip fused into it), from one calibration on `calibration`
    /// (nodes the quantizer then keeps in float, such as a MaxPool without its producer, are listed apart),
    /// and measures each variant's outputs on `data` against the float model (``ErrorAccumulator`` over all
    /// outputs, top-1 agreement, accuracy when `labels` are given). `progress(done, total)` counts variants.
    public static func run(model: Model, modelPath: String, config: QuantizationConfig, calibration: DataSet,
                           data: DataSet, labels labelsKey: String?, ranking: SensitivityResult.Ranking = .sqnr,
                           batchSize: Int = 64, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> SensitivityResult {
        let feeds = try data.inputs(for: model.graph)
        let samples = feeds.values.first?.shape.first ?? 1
        let labels = try Evaluation.labels(in: data, key: labelsKey, samples: samples)
        if ranking == .accuracy, labels == nil {
            throw QuantKitError.invalidData(path: data.path, reason: "ranking by accuracy needs labels (no 'labels' "
                + "array; name one with --labels)")
        }
        let trial = Trial(feeds: feeds, labels: labels, batchSize: batchSize, threads: threads,
                          reference: try BatchRunner.run(Interpreter(model: model, threads: threads), feeds: feeds,
                                                         batchSize: batchSize),
                          outputs: model.graph.outputs.map(\.name), modelPath: modelPath)
        // Static mode calibrates once: the full model and every single-layer variant share the ranges.
        let calibrated = config.mode == .static
            ? try StaticQuantizer.calibrate(model, config: config, feeds: calibration.inputs(for: model.graph),
                                            threads: threads) : nil
        func quantized(_ variant: QuantizationConfig) throws -> QuantizationResult {
            guard let calibrated else { return try Quantizer.quantize(model, config: variant, calibration: calibration) }
            return try Quantizer.quantize(model, config: variant, calibrated: calibrated)
        }
        let full = try quantized(config)
        // Units are found on the graph the static quantizer works on (BatchNormalization folded into Conv).
        let units = layerUnits(ConvBatchNormFolding.apply(to: model).model.graph, decisions: full.decisions)
        progress(1, units.count + 1)
        let allQuantized = try trial.measure(full.model, node: "(all)", opType: "", quantizedNodes: [])
        var layers: [SensitivityEntry] = []
        var alone: [QuantizationDecision] = []
        for (index, unit) in units.enumerated() {
            var single = config
            single.includeNodes = unit.nodes
            let quantized = try quantized(single)
            if let decision = quantized.decisions.first(where: { $0.node == unit.node }), decision.action != .quantized {
                alone.append(decision)
            } else {
                layers.append(try trial.measure(quantized.model, node: unit.node, opType: unit.opType,
                                                quantizedNodes: unit.nodes))
            }
            progress(index + 2, units.count + 1)
        }
        return SensitivityResult(model: modelPath, data: data.path, samples: samples, config: config, ranking: ranking,
                                 floatAccuracy: trial.floatAccuracy,
                                 allQuantized: allQuantized, layers: ranked(layers, by: ranking),
                                 notQuantizableAlone: alone)
    }

    /// The quantized nodes of a full run, each with the Relu/Clip nodes fused into it (quantized activation
    /// nodes reading its output); unnamed nodes are skipped since a config cannot name them.
    static func layerUnits(_ graph: Graph, decisions: [QuantizationDecision])
        -> [(node: String, opType: String, nodes: [String])] {
        let fusable: Set<String> = ["Relu", "Clip"]
        let quantized = Set(decisions.filter { $0.action == .quantized }.map(\.node))
        return graph.nodes.compactMap { node in
            guard !node.name.isEmpty, quantized.contains(node.name), !fusable.contains(node.opType) else { return nil }
            let fused = graph.nodes.filter { reader in
                fusable.contains(reader.opType) && quantized.contains(reader.name)
                    && reader.inputs.first.map { node.outputs.contains($0) } == true
            }
            return (node.name, node.opType, [node.name] + fused.map(\.name))
        }
    }

    /// Worst first: by SQNR ascending (NaN first), or by accuracy drop descending then SQNR; ties by name.
    static func ranked(_ entries: [SensitivityEntry], by ranking: SensitivityResult.Ranking) -> [SensitivityEntry] {
        entries.sorted { a, b in
            if ranking == .accuracy, let x = a.accuracyDrop, let y = b.accuracyDrop, x != y { return x > y }
            let (x, y) = (a.output.sqnrDB, b.output.sqnrDB)
            if x.isNaN != y.isNaN { return x.isNaN }
            if x != y, !x.isNaN { return x < y }
            return a.node < b.node
        }
    }

    /// The float model's outputs on the data and what a variant is measured against.
    private struct Trial {
        let feeds: [String: Tensor]
        let labels: [Int]?
        let batchSize: Int
        let threads: Int
        let reference: [String: Tensor]
        let outputs: [String]
        let modelPath: String

        var referencePredictions: [Int]? { predictions(reference) }

        var floatAccuracy: Double? {
            guard let labels, let expected = referencePredictions else { return nil }
            return Metrics.accuracy(predictions: expected, labels: labels)
        }

        func predictions(_ values: [String: Tensor]) -> [Int]? {
            guard let first = outputs.first, let logits = values[first], logits.dtype.isFloatingPoint,
                  logits.rank >= 2 else { return nil }
            return BatchRunner.argmaxRows(logits)
        }

        func measure(_ model: Model, node: String, opType: String, quantizedNodes: [String]) throws -> SensitivityEntry {
            let values = try BatchRunner.run(Interpreter(model: model, threads: threads), feeds: feeds,
                                             batchSize: batchSize)
            var error = ErrorAccumulator()
            for name in outputs {
                guard let expected = reference[name], let actual = values[name], expected.count == actual.count else {
                    throw QuantKitError.invalidFile(path: modelPath, reason: "the quantized variant's output '\(name)' "
                        + "does not match the float model's")
                }
                error.add(reference: expected.floatValues, candidate: actual.floatValues)
            }
            var entry = SensitivityEntry(node: node, opType: opType, quantizedNodes: quantizedNodes,
                                         output: error.metrics)
            if let expected = referencePredictions, let predicted = predictions(values) {
                entry.top1Agreement = Metrics.agreement(expected, predicted)
                if let labels {
                    let accuracy = Metrics.accuracy(predictions: predicted, labels: labels)
                    entry.accuracy = accuracy
                    entry.accuracyDrop = (floatAccuracy ?? accuracy) - accuracy
                }
            }
            return entry
        }
    }
}
