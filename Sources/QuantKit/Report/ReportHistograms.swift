import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// Computes the report's histograms: for chosen layers of a float model, the distribution of the layer's weight
/// (its float initializer input of rank ≥ 2) and of its output activation over calibration data, and the clip
/// range each calibration method's observer (``MinMaxObserver``, ``PercentileObserver``, ``EntropyObserver``,
/// ``MSEObserver``, with ONNX Runtime's default parameters) chooses for it.
///
/// Weights are observed as symmetric `config.weightType` tensors, activations as `config.activationType` with
/// `config.activationSymmetric` (this matters to MSE and percentile). Activations are collected through the
/// interpreter's `observe` hook, one batch at a time. Display bins: the 2048-bin signed histogram over [−T, T]
/// (T = largest |x|) restricted to its occupied bins and merged into at most ``displayBins`` bins.
public enum ReportHistograms {
    /// The calibration methods compared, by CLI name, with ONNX Runtime's default parameters.
    public static let methods: [(name: String, method: QuantizationConfig.CalibrationMethod)] = [
        ("minmax", .minMax), ("percentile", .percentile(99.999, bins: 2048)),
        ("entropy", .entropy(bins: 2048, quantizedBins: 128)), ("mse", .mse(bins: 2048)),
    ]
    /// Bins drawn per histogram.
    public static let displayBins = 64
    static let histogramBins = 2048

    /// Histograms of the weights and output activations of the nodes producing `layerOutputs` (value names in
    /// `model`, in the order given; names no node produces are skipped), the activations observed over
    /// `calibration` in batches of `batchSize`.
    public static func collect(model: Model, layerOutputs: [String], calibration: [String: Tensor],
                               config: QuantizationConfig, batchSize: Int = 64,
                               threads: Int = 1) throws -> [QuantizationReport.TensorHistogram] {
        let graph = model.graph
        let chosen = layerOutputs.compactMap { name in graph.nodes.first { $0.outputs.first == name } }
        var activations: [String: Accumulator] = [:]
        for node in chosen {
            guard let output = node.outputs.first, !output.isEmpty else { continue }
            activations[output] = Accumulator(type: config.activationType, symmetric: config.activationSymmetric)
        }
        if !activations.isEmpty {
            let interpreter = try Interpreter(model: model, threads: threads)
            let total = calibration.values.first?.shape.first ?? 0
            var start = 0
            while start < total {
                let range = start..<min(total, start + max(1, batchSize))
                _ = try interpreter.run(calibration.mapValues { $0.rows(range) }, observe: { name, value in
                    guard activations[name] != nil, value.dtype == .float32 else { return }
                    activations[name]?.add(value.floatValues)
                })
                start = range.upperBound
            }
        }
        var result: [QuantizationReport.TensorHistogram] = []
        var drawnWeights = Set<String>()
        for node in chosen {
            if let (owner, name, weight) = nearestWeight(from: node, in: graph), drawnWeights.insert(name).inserted {
                var accumulator = Accumulator(type: config.weightType, symmetric: true)
                accumulator.add(weight.floatValues)
                result.append(accumulator.histogram(tensor: name, node: owner, kind: .weight))
            }
            if let output = node.outputs.first, let accumulator = activations[output], accumulator.display.total > 0 {
                result.append(accumulator.histogram(tensor: output, node: node, kind: .activation))
            }
        }
        return result
    }

    /// The weight behind a layer output: the first float32 initializer input of rank ≥ 2 (a Conv/MatMul/Gemm
    /// weight) of `node`, or else of the node producing its first input, up to ``weightSearchDepth`` nodes back
    /// (so a Relu or pooling output leads to the Conv or Gemm before it).
    static func nearestWeight(from node: Node, in graph: Graph) -> (node: Node, name: String, tensor: Tensor)? {
        var current = node
        for _ in 0..<weightSearchDepth {
            for name in current.inputs where !name.isEmpty {
                if let tensor = graph.initializers[name], tensor.dtype == .float32, tensor.rank >= 2 {
                    return (current, name, tensor)
                }
            }
            guard let input = current.inputs.first,
                  let producer = graph.nodes.first(where: { $0.outputs.contains(input) }) else { return nil }
            current = producer
        }
        return nil
    }

    /// How many nodes ``nearestWeight(from:in:)`` walks back.
    static let weightSearchDepth = 4

    /// One tensor's display histogram and one observer per method.
    struct Accumulator {
        var display = FixedHistogram(binCount: ReportHistograms.histogramBins, domain: .signed)
        var observers: [any RangeObserver]

        init(type: QuantType, symmetric: Bool) {
            observers = ReportHistograms.methods.map { $0.method.makeObserver(type: type, symmetric: symmetric) }
        }

        mutating func add(_ values: [Float]) {
            values.withUnsafeBufferPointer { buffer in
                display.add(buffer)
                for index in observers.indices { observers[index].observe(buffer) }
            }
        }

        func histogram(tensor: String, node: Node, kind: QuantizationReport.TensorHistogram.Kind)
            -> QuantizationReport.TensorHistogram {
            let (edges, counts) = ReportHistograms.merged(display)
            let ranges = zip(ReportHistograms.methods, observers).map { entry, observer in
                let range = observer.range()
                return QuantizationReport.ClipRange(method: entry.name, min: range.min, max: range.max)
            }
            return QuantizationReport.TensorHistogram(
                tensor: tensor, node: node.name, opType: node.opType, kind: kind, binEdges: edges, counts: counts,
                observedMin: display.minimum, observedMax: display.maximum, clipRanges: ranges)
        }
    }

    /// The occupied span of `histogram` merged into at most ``displayBins`` bins of equal width (in source bins).
    static func merged(_ histogram: FixedHistogram) -> (edges: [Float], counts: [Double]) {
        let counts = histogram.counts
        guard let first = counts.firstIndex(where: { $0 > 0 }), let last = counts.lastIndex(where: { $0 > 0 }) else {
            return ([], [])
        }
        let occupied = last - first + 1
        let group = (occupied + displayBins - 1) / displayBins
        var edges: [Float] = [], merged: [Double] = []
        var start = first
        while start <= last {
            let end = min(start + group, counts.count)
            edges.append(histogram.edges[start])
            merged.append(counts[start..<end].reduce(0, +))
            start = end
        }
        edges.append(histogram.edges[start])
        return (edges, merged)
    }
}
