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
    /// Intermediate tensors (graph inputs and node outputs, final outputs excluded), worst SQNR first.
    public var layers: [LayerComparison]
    /// The graph outputs, paired by position, in graph order.
    public var outputs: [LayerComparison]
    /// Share of samples whose argmax over the first output's last axis is the same in both models; nil when
    /// that output is not a float tensor of rank ≥ 2.
    public var top1Agreement: Double?
    /// Reference tensors with no counterpart in the quantized model (e.g. folded into another node).
    public var unmatched: [String]
}

/// Runs a float model and a quantized form of it side by side and measures the error tensor by tensor.
public enum ModelComparison {
    /// Compares the models at `referencePath` and `quantizedPath` on `data`, batch by batch (memory: one batch
    /// of the reference's intermediate values). Tensors are paired by ``TensorMatcher``; metrics accumulate over
    /// all samples (``ErrorAccumulator``). `progress(done, total)` reports compared samples.
    ///
    /// Throws ``QuantKitError/invalidArgument(_:)`` when the two models' runtime inputs differ (names, types or
    /// shapes) or their output counts differ, and ``QuantKitError/invalidData(path:reason:)`` when the data
    /// does not match the inputs.
    public static func run(referencePath: String, quantizedPath: String, data: DataSet, batchSize: Int = 16,
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> ComparisonResult {
        let reference = try ModelFile.load(referencePath)
        let quantized = try ModelFile.load(quantizedPath)
        try requireSameInterface(reference.graph, referencePath, quantized.graph, quantizedPath)
        let feeds = try data.inputs(for: reference.graph)
        let total = feeds.values.first?.shape.first ?? 1
        let outputNames = reference.graph.outputs.map(\.name)
        let outputSet = Set(outputNames)
        let matches = TensorMatcher.matches(reference: reference.graph, quantized: quantized.graph)
            .filter { !outputSet.contains($0.reference) }
        let byQuantized = Dictionary(grouping: matches, by: \.quantized)
        var layerErrors = [String: ErrorAccumulator]()
        var shapeMismatch = Set<String>()
        var outputErrors = Array(repeating: ErrorAccumulator(), count: outputNames.count)
        var predictions: (reference: [Int], quantized: [Int])? = ([], [])
        let referenceRunner = try Interpreter(model: reference, threads: threads)
        let quantizedRunner = try Interpreter(model: quantized, threads: threads)
        var start = 0
        while start < total {
            let range = start..<min(total, start + max(1, batchSize))
            let batch = feeds.mapValues { $0.rows(range) }
            var captured = batch.filter { $0.value.dtype.isFloatingPoint }
            let wanted = Set(matches.map(\.reference))
            let referenceOutputs = try referenceRunner.run(batch, observe: { name, value in
                if wanted.contains(name) { captured[name] = value }
            })
            var quantizedObserved = batch
            let quantizedOutputs = try quantizedRunner.run(batch, outputNames: quantized.graph.outputs.map(\.name),
                                                           observe: { name, value in
                if byQuantized[name] != nil { quantizedObserved[name] = value }
            })
            for (name, value) in quantizedObserved {
                for match in byQuantized[name] ?? [] {
                    guard let expected = captured[match.reference] else { continue }
                    let candidate = match.floatValues(of: value)
                    guard expected.count == candidate.count else { shapeMismatch.insert(match.reference); continue }
                    layerErrors[match.reference, default: ErrorAccumulator()]
                        .add(reference: expected.floatValues, candidate: candidate)
                }
            }
            let quantizedList = quantized.graph.outputs.map { quantizedOutputs[$0.name] }
            for (index, name) in outputNames.enumerated() {
                guard let expected = referenceOutputs[name], let actual = quantizedList[index],
                      expected.count == actual.count else {
                    throw QuantKitError.invalidArgument("\(quantizedPath): output #\(index) has shape "
                        + "\(quantizedList[index].map { "\($0.shape)" } ?? "?"), the reference's '\(name)' has "
                        + "\(referenceOutputs[name].map { "\($0.shape)" } ?? "?")")
                }
                outputErrors[index].add(reference: expected.floatValues, candidate: actual.floatValues)
            }
            if let first = outputNames.first, let a = referenceOutputs[first], let b = quantizedList[0],
               a.dtype.isFloatingPoint, b.dtype.isFloatingPoint, a.rank >= 2, predictions != nil {
                predictions?.reference += BatchRunner.argmaxRows(a)
                predictions?.quantized += BatchRunner.argmaxRows(b)
            } else {
                predictions = nil
            }
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
        let layers = matches.compactMap { match in layerErrors[match.reference].map { layer(match, $0.metrics) } }
        let compared = Set(layers.map(\.tensor))
        let unmatched = (reference.graph.nodes.flatMap(\.outputs) + reference.graph.runtimeInputs.map(\.name))
            .filter { !$0.isEmpty && !outputSet.contains($0) && !compared.contains($0) }
        let outputs = outputNames.enumerated().map { index, name in
            layer(TensorMatch(reference: name, quantized: quantized.graph.outputs[index].name, kind: .sameName),
                  outputErrors[index].metrics)
        }
        return ComparisonResult(reference: referencePath, quantized: quantizedPath, data: data.path, samples: total,
                                layers: rankedWorstFirst(layers), outputs: outputs,
                                top1Agreement: predictions.map { Metrics.agreement($0.reference, $0.quantized) },
                                unmatched: unmatched.sorted() + shapeMismatch.sorted().map { "\($0) (shape differs)" })
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
