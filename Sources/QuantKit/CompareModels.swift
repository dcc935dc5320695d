import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// The error of one tensor of a quantized model against the float reference.
public struct LayerComparison: Codable, Sendable, Equatable {
    /// Tensor name in the reference model.
    public var tensor: String
    /// The reference node that produces it ("(input)" for a graph input) and its op type.
    public var node: String
    public var opType: String
    /// The tensor it was compared with in the quantized model, and how that one was found.
    public var quantizedTensor: String
    public var match: TensorMatch.Kind
    public var metrics: ErrorMetrics
}

/// What `qkit compare` finds: per-layer and per-output error, and how often the top-1 predictions agree.
public struct ComparisonResult: Codable, Sendable, Equatable {
    public var reference: String
    public var quantized: String
    public var data: String
    public var samples: Int
    /// Floating-point intermediate tensors (graph inputs and node outputs, final outputs excluded), worst SQNR
    /// first.
    public var layers: [LayerComparison]
    /// The graph outputs, paired by position, in graph order.
    public var outputs: [LayerComparison]
    /// Share of samples whose argmax over the first output's last axis is the same in both models; nil when
    /// that output is not a float tensor of rank ≥ 2.
    public var top1Agreement: Double?
    /// Floating-point reference tensors with no counterpart in the quantized model (e.g. folded into another
    /// node).
    public var unmatched: [String]
    /// Top-1 accuracy of each model when the data has labels (key `labelsKey`).
    public var labelsKey: String?
    public var referenceAccuracy: Double?
    public var quantizedAccuracy: Double?
    /// Size on disk of each model (``Evaluation/sizeOnDisk(_:)``).
    public var referenceSizeBytes: Int
    public var quantizedSizeBytes: Int
}

/// Runs a float model and a quantized form of it side by side and measures the error tensor by tensor.
public enum ModelComparison {
    /// Compares the models at `referencePath` and `quantizedPath` on `data`, batch by batch (memory: one batch
    /// of the reference's intermediate values). Both run node by node as written (no integer fusion), so every
    /// Q/DQ tensor can be observed; the integer kernels equal that execution within one quantization step.
    /// Tensors are paired by ``TensorMatcher``; metrics accumulate over all samples (``ErrorAccumulator``).
    /// Labels (`labelsKey`, or "labels" when present) add each model's accuracy. `progress(done, total)`
    /// reports compared samples.
    ///
    /// Throws ``QuantKitError/invalidArgument(_:)`` when the two models' runtime inputs differ (names, types or
    /// shapes) or their output counts differ, and ``QuantKitError/invalidData(path:reason:)`` when the data
    /// or labels do not match.
    public static func run(referencePath: String, quantizedPath: String, data: DataSet, labels labelsKey: String? = nil,
                           batchSize: Int = 16, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> ComparisonResult {
        let reference = try ModelFile.load(referencePath)
        let quantized = try ModelFile.load(quantizedPath)
        try requireSameInterface(reference.graph, referencePath, quantized.graph, quantizedPath)
        let feeds = try data.inputs(for: reference.graph)
        let total = feeds.values.first?.shape.first ?? 1
        let labels = try Evaluation.labels(in: data, key: labelsKey, samples: total)
        let outputSet = Set(reference.graph.outputs.map(\.name))
        let matches = TensorMatcher.matches(reference: reference.graph, quantized: quantized.graph)
            .filter { !outputSet.contains($0.reference) }
        var state = ComparisonState(reference: reference, quantized: quantized, quantizedPath: quantizedPath,
                                    matches: matches, threads: threads)
        try state.prepare()
        var start = 0
        while start < total {
            let range = start..<min(total, start + max(1, batchSize))
            try state.add(feeds.mapValues { $0.rows(range) })
            start = range.upperBound
            progress(start, total)
        }
        let producers = producerTable(reference.graph)
        func layer(_ match: TensorMatch, _ metrics: ErrorMetrics) -> LayerComparison {
            let node = producers[match.reference]
            return LayerComparison(tensor: match.reference, node: node?.displayName ?? "(input)",
                                   opType: node?.opType ?? "input", quantizedTensor: match.quantized,
                                   match: match.kind, metrics: metrics)
        }
        let layers = matches.compactMap { match in state.layerErrors[match.reference].map { layer(match, $0.metrics) } }
        let compared = Set(layers.map(\.tensor))
        let unmatched = (reference.graph.nodes.flatMap(\.outputs) + reference.graph.runtimeInputs.map(\.name))
            .filter { !$0.isEmpty && !outputSet.contains($0) && !compared.contains($0) && !state.notFloat.contains($0) }
        let outputs = reference.graph.outputs.enumerated().map { index, output in
            layer(TensorMatch(reference: output.name, quantized: quantized.graph.outputs[index].name, kind: .sameName),
                  state.outputErrors[index].metrics)
        }
        let predictions = state.predictions
        func accuracy(_ predicted: [Int]?) -> Double? {
            guard let labels, let predicted else { return nil }
            return Metrics.accuracy(predictions: predicted, labels: labels)
        }
        return ComparisonResult(
            reference: referencePath, quantized: quantizedPath, data: data.path, samples: total,
            layers: rankedWorstFirst(layers), outputs: outputs,
            top1Agreement: predictions.map { Metrics.agreement($0.reference, $0.quantized) },
            unmatched: unmatched.sorted() + state.shapeMismatch.sorted().map { "\($0) (shape differs)" },
            labelsKey: labels == nil ? nil : (labelsKey ?? "labels"),
            referenceAccuracy: accuracy(predictions?.reference), quantizedAccuracy: accuracy(predictions?.quantized),
            referenceSizeBytes: try Evaluation.sizeOnDisk(referencePath),
            quantizedSizeBytes: try Evaluation.sizeOnDisk(quantizedPath))
    }

    /// Lowest SQNR first (NaN before everything), then by tensor name.
    public static func rankedWorstFirst(_ layers: [LayerComparison]) -> [LayerComparison] {
        layers.sorted { a, b in
            let (x, y) = (a.metrics.sqnrDB, b.metrics.sqnrDB)
            if x.isNaN != y.isNaN { return x.isNaN }
            if x != y, !x.isNaN { return x < y }
            return a.tensor < b.tensor
        }
    }

    static func producerTable(_ graph: Graph) -> [String: Node] {
        var table: [String: Node] = [:]
        for node in graph.nodes { for output in node.outputs where !output.isEmpty { table[output] = node } }
        return table
    }

    /// Both models must take the same runtime inputs (names, element types, ranks, and dimensions where both
    /// are known; symbolic ones match anything) and have as many outputs.
    static func requireSameInterface(_ a: Graph, _ aPath: String, _ b: Graph, _ bPath: String) throws {
        func compatible(_ x: ValueInfo, _ y: ValueInfo) -> Bool {
            guard x.dtype == y.dtype else { return false }
            guard let s = x.shape, let t = y.shape else { return true }
            return s.count == t.count && zip(s, t).allSatisfy { p, q in p.value == nil || q.value == nil || p.value == q.value }
        }
        let right = Dictionary(uniqueKeysWithValues: b.runtimeInputs.map { ($0.name, $0) })
        let sameInputs = a.runtimeInputs.count == right.count
            && a.runtimeInputs.allSatisfy { input in right[input.name].map { compatible(input, $0) } ?? false }
        if !sameInputs {
            let describe = { (graph: Graph) in
                graph.runtimeInputs.map { "\($0.name): \($0.typeDescription)" }.joined(separator: ", ")
            }
            throw QuantKitError.invalidArgument("\(aPath) and \(bPath) take different inputs: "
                + "[\(describe(a))] vs [\(describe(b))]")
        }
        if a.outputs.count != b.outputs.count {
            throw QuantKitError.invalidArgument("\(aPath) has \(a.outputs.count) outputs but \(bPath) has "
                + "\(b.outputs.count)")
        }
    }
}

/// The running sums of one comparison, fed batch by batch.
private struct ComparisonState {
    let reference: Model
    let quantized: Model
    let quantizedPath: String
    let matches: [TensorMatch]
    let threads: Int
    var layerErrors: [String: ErrorAccumulator] = [:]
    var outputErrors: [ErrorAccumulator]
    var shapeMismatch: Set<String> = []
    /// Reference tensors that are not floating point (indices, shapes, masks): not compared, not "unmatched".
    var notFloat: Set<String> = []
    /// Top-1 predictions of both models so far; nil once the first output turns out not to be scores.
    var predictions: (reference: [Int], quantized: [Int])? = ([], [])
    private var referenceRunner: Interpreter?
    private var quantizedRunner: Interpreter?

    init(reference: Model, quantized: Model, quantizedPath: String, matches: [TensorMatch], threads: Int) {
        self.reference = reference
        self.quantized = quantized
        self.quantizedPath = quantizedPath
        self.matches = matches
        self.threads = threads
        outputErrors = Array(repeating: ErrorAccumulator(), count: reference.graph.outputs.count)
    }

    /// Prepares both interpreters, node by node as written: integer fusion would remove the compared tensors.
    mutating func prepare() throws {
        referenceRunner = try Interpreter(model: reference, threads: threads, integerExecution: false)
        quantizedRunner = try Interpreter(model: quantized, threads: threads, integerExecution: false)
    }

    mutating func add(_ batch: [String: Tensor]) throws {
        guard let referenceRunner, let quantizedRunner else { return }
        let wanted = Set(matches.map(\.reference))
        var captured = batch.filter { $0.value.dtype.isFloatingPoint }
        var integers = Set(batch.filter { !$0.value.dtype.isFloatingPoint }.keys)
        let referenceOutputs = try referenceRunner.run(batch, observe: { name, value in
            if !value.dtype.isFloatingPoint {
                integers.insert(name)
            } else if wanted.contains(name) {
                captured[name] = value
            }
        })
        notFloat.formUnion(integers)
        let byQuantized = Dictionary(grouping: matches, by: \.quantized)
        var observed = batch.filter { byQuantized[$0.key] != nil }
        let quantizedNames = quantized.graph.outputs.map(\.name)
        let quantizedOutputs = try quantizedRunner.run(batch, outputNames: quantizedNames, observe: { name, value in
            if byQuantized[name] != nil { observed[name] = value }
        })
        for (name, value) in observed {
            for match in byQuantized[name] ?? [] {
                guard let expected = captured[match.reference] else { continue }
                let candidate = match.floatValues(of: value)
                guard expected.count == candidate.count else { shapeMismatch.insert(match.reference); continue }
                layerErrors[match.reference, default: ErrorAccumulator()]
                    .add(reference: expected.floatValues, candidate: candidate)
            }
        }
        for (index, output) in reference.graph.outputs.enumerated() {
            guard let expected = referenceOutputs[output.name], let actual = quantizedOutputs[quantizedNames[index]],
                  expected.count == actual.count else {
                throw QuantKitError.invalidArgument("\(quantizedPath): output #\(index) "
                    + "'\(quantizedNames[index])' has shape \(quantizedOutputs[quantizedNames[index]]?.shape ?? []), "
                    + "the reference's '\(output.name)' has \(referenceOutputs[output.name]?.shape ?? [])")
            }
            outputErrors[index].add(reference: expected.floatValues, candidate: actual.floatValues)
        }
        if let first = reference.graph.outputs.first?.name, let a = referenceOutputs[first],
           let b = quantizedOutputs[quantizedNames[0]], a.dtype.isFloatingPoint, b.dtype.isFloatingPoint, a.rank >= 2 {
            predictions?.reference += BatchRunner.argmaxRows(a)
            predictions?.quantized += BatchRunner.argmaxRows(b)
        } else {
            predictions = nil
        }
    }
}
