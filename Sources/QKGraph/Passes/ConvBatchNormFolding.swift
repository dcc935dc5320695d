import QKTensor

/// Folds an inference-mode BatchNormalization into the Conv that feeds it.
///
/// A pair `Conv(X, W[, b]) → BatchNormalization(scale γ, B β, mean μ, var σ², epsilon ε)` is folded when W, b, γ,
/// β, μ and σ² are constant initializers (not graph inputs), each BatchNormalization parameter holds one value
/// per output channel, the Conv output is read only by the BatchNormalization and is not a graph output, and
/// the BatchNormalization's extra outputs (training statistics) are unused. The pair becomes one
/// `Conv(X, W', b')` writing the BatchNormalization's output, where for each output channel m
///
///     f[m]      = γ[m] / √(σ²[m] + ε)
///     W'[m, …]  = W[m, …] · f[m]
///     b'[m]     = (b[m] − μ[m]) · f[m] + β[m]        (b = 0 when the Conv has no bias)
///
/// computed in Double and stored in W's dtype. Example: W = [[2]], no bias, γ = 3, β = 1, μ = 4, σ² = 8,
/// ε = 1 gives f = 1, W' = [[2]], b' = [−3]. Initializers left unread afterwards are removed.
public enum ConvBatchNormFolding {
    /// The model with every foldable Conv → BatchNormalization pair folded, and the number of pairs folded.
    public static func apply(to model: Model) -> (model: Model, report: PassReport) {
        var graph = model.graph
        let producers = graph.producerIndex
        let reads = graph.valueReadCounts
        var taken = graph.usedValueNames
        var folded = Set<Int>()
        var replaced = Set<String>()
        for (normIndex, norm) in graph.nodes.enumerated() {
            guard let convIndex = norm.inputs.first.flatMap({ producers[$0] }),
                  let fold = foldable(conv: graph.nodes[convIndex], norm: norm, graph: graph, reads: reads) else { continue }
            let conv = graph.nodes[convIndex]
            let weightName = Graph.uniqueName("\(conv.inputs[1])_bn_folded", taken: &taken)
            let biasBase = conv.inputs.count > 2 && !conv.inputs[2].isEmpty ? conv.inputs[2] : "\(conv.inputs[1])_bias"
            let biasName = Graph.uniqueName("\(biasBase)_bn_folded", taken: &taken)
            graph.initializers[weightName] = fold.weight
            graph.initializers[biasName] = fold.bias
            replaced.formUnion(conv.inputs.dropFirst() + norm.inputs.dropFirst())
            graph.valueInfo.removeAll { $0.name == conv.outputs[0] }
            var fused = conv
            fused.inputs = [conv.inputs[0], weightName, biasName]
            fused.outputs = [norm.outputs[0]]
            graph.nodes[convIndex] = fused
            folded.insert(normIndex)
        }
        var report = PassReport(pass: "ConvBatchNormFolding", nodesFolded: folded.count)
        graph.nodes = graph.nodes.enumerated().filter { !folded.contains($0.offset) }.map(\.element)
        report.initializersRemoved = graph.removeUnreadInitializers(among: replaced)
        var result = model
        result.graph = graph
        return (result, report)
    }

    /// The folded weight and bias when `conv` → `norm` meets every condition above, else nil.
    private static func foldable(conv: Node, norm: Node, graph: Graph, reads: [String: Int]) -> (weight: Tensor, bias: Tensor)? {
        guard norm.opType == "BatchNormalization", norm.normalizedDomain == "", norm.inputs.count == 5,
              conv.opType == "Conv", conv.normalizedDomain == "", conv.inputs.count >= 2,
              conv.outputs.first == norm.inputs[0], reads[norm.inputs[0]] == 1,
              norm.outputs.dropFirst().allSatisfy({ $0.isEmpty || reads[$0] == nil }),
              (try? norm.int("training_mode", default: 0)) == 0, (try? norm.int("spatial", default: 1)) == 1,
              let epsilon = try? norm.float("epsilon", default: 1e-5),
              let weight = graph.constant(conv.inputs[1]), weight.dtype.isFloatingPoint, weight.rank >= 1 else { return nil }
        let channels = weight.shape[0]
        let parameters = norm.inputs.dropFirst().compactMap { graph.constant($0) }
        guard parameters.count == 4, parameters.allSatisfy({ $0.dtype.isFloatingPoint && $0.count == channels }) else { return nil }
        var bias = [Double](repeating: 0, count: channels)
        if conv.inputs.count > 2 && !conv.inputs[2].isEmpty {
            guard let tensor = graph.constant(conv.inputs[2]), tensor.dtype.isFloatingPoint, tensor.count == channels else {
                return nil
            }
            bias = doubles(tensor)
        }
        let (gamma, beta, mean, variance) = (doubles(parameters[0]), doubles(parameters[1]), doubles(parameters[2]),
                                             doubles(parameters[3]))
        let factors = (0..<channels).map { gamma[$0] / (variance[$0] + Double(epsilon)).squareRoot() }
        let perChannel = channels == 0 ? 0 : weight.count / channels
        let scaled = doubles(weight).enumerated().map { $0.element * factors[$0.offset / perChannel] }
        let shifted = (0..<channels).map { (bias[$0] - mean[$0]) * factors[$0] + beta[$0] }
        return (Tensor(shape: weight.shape, values: scaled).converted(to: weight.dtype),
                Tensor(shape: [channels], values: shifted).converted(to: weight.dtype))
    }

    private static func doubles(_ tensor: Tensor) -> [Double] {
        tensor.converted(to: .float64).values(as: Double.self) ?? []
    }
}
