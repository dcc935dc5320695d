import QKTensor

/// Fuses an activation into the Conv or Gemm that feeds it, as ONNX Runtime's "com.microsoft" FusedConv and
/// FusedGemm.
///
/// A pair `Conv → act` (act ∈ Relu, LeakyRelu, Sigmoid, Tanh, Clip with constant bounds) or `Gemm → act`
/// (act ∈ Relu, LeakyRelu, Sigmoid, Tanh) is fused when the producer's only output is read by the activation
/// alone, is not a graph output, and the producer computes in float32 (ONNX Runtime's fused kernels are float
/// only). The fused node keeps the producer's inputs and attributes, writes the activation's output and adds:
///
/// | fused     | attribute                        | LeakyRelu     | Clip         |
/// |-----------|----------------------------------|---------------|--------------|
/// | FusedConv | activation, activation_params    | [alpha]       | [min, max]   |
/// | FusedGemm | activation, activation_alpha     | alpha         | (not fused)  |
///
/// Clip bounds come from attributes before opset 11 and from constant scalar inputs from then on; a missing
/// bound is ∓`Float.greatestFiniteMagnitude`. The model imports ("com.microsoft", 1) when a node was fused.
public enum ActivationFusion {
    /// The fused-op spelling for each producer op.
    private static let fusedOps: [String: String] = ["Conv": "FusedConv", "Gemm": "FusedGemm"]

    /// Activations FusedGemm accepts (ONNX Runtime's GemmActivationFusion set).
    private static let gemmActivations: Set<String> = ["Relu", "LeakyRelu", "Sigmoid", "Tanh"]

    /// Activation parameters by op: nil means the node cannot be fused (e.g. a Clip bound is not constant).
    private static let activationParameters: [String: (Node, Graph, Int64) -> [Float]?] = [
        "Relu": { _, _, _ in [] },
        "Sigmoid": { _, _, _ in [] },
        "Tanh": { _, _, _ in [] },
        "LeakyRelu": { node, _, _ in (try? node.float("alpha", default: 0.01)).map { [$0] } },
        "Clip": clipBounds,
    ]

    /// The model with every fusable pair fused, and the number of pairs fused.
    public static func apply(to model: Model) -> (model: Model, report: PassReport) {
        var graph = model.graph
        let producers = graph.producerIndex
        let reads = graph.valueReadCounts
        let opset = model.opsetVersion(for: "") ?? 1
        var fusedActivations = Set<Int>()
        var released = Set<String>()
        for (activationIndex, activation) in graph.nodes.enumerated() {
            guard let producerIndex = activation.inputs.first.flatMap({ producers[$0] }),
                  let fused = fuse(graph.nodes[producerIndex], activation, graph: graph, reads: reads, opset: opset)
            else { continue }
            graph.valueInfo.removeAll { $0.name == activation.inputs[0] }
            released.formUnion(activation.inputs.dropFirst())
            graph.nodes[producerIndex] = fused
            fusedActivations.insert(activationIndex)
        }
        var report = PassReport(pass: "ActivationFusion", nodesFused: fusedActivations.count)
        graph.nodes = graph.nodes.enumerated().filter { !fusedActivations.contains($0.offset) }.map(\.element)
        report.initializersRemoved = graph.removeUnreadInitializers(among: released)
        var result = model
        result.graph = graph
        if report.nodesFused > 0 && result.opsetVersion(for: "com.microsoft") == nil {
            result.opsetImports.append(OpsetImport(domain: "com.microsoft", version: 1))
        }
        return (result, report)
    }

    /// The fused node replacing `producer` → `activation`, or nil when the pair does not qualify.
    private static func fuse(_ producer: Node, _ activation: Node, graph: Graph, reads: [String: Int],
                             opset: Int64) -> Node? {
        guard producer.normalizedDomain == "", activation.normalizedDomain == "",
              let fusedOp = fusedOps[producer.opType], producer.outputs.count == 1,
              activation.inputs.first == producer.outputs[0], reads[producer.outputs[0]] == 1,
              activation.outputs.count == 1,
              producer.inputs.prefix(2).contains(where: { graph.declaredDType($0) == .float32 }),
              producer.opType == "Conv" || gemmActivations.contains(activation.opType),
              let parameters = activationParameters[activation.opType]?(activation, graph, opset) else { return nil }
        var fused = producer
        fused.opType = fusedOp
        fused.domain = "com.microsoft"
        fused.outputs = activation.outputs
        fused.attributes["activation"] = .string(activation.opType)
        if producer.opType == "Conv" {
            if !parameters.isEmpty { fused.attributes["activation_params"] = .floats(parameters) }
        } else if let alpha = parameters.first {
            fused.attributes["activation_alpha"] = .float(alpha)
        }
        return fused
    }

    /// Clip's [min, max]: attributes before opset 11, constant scalar inputs 1 and 2 from then on.
    private static func clipBounds(_ clip: Node, _ graph: Graph, _ opset: Int64) -> [Float]? {
        let lowest = -Float.greatestFiniteMagnitude, highest = Float.greatestFiniteMagnitude
        guard opset >= 11 else {
            guard let low = try? clip.float("min", default: lowest), let high = try? clip.float("max", default: highest)
            else { return nil }
            return [low, high]
        }
        var bounds = [lowest, highest]
        for slot in 1...2 where slot < clip.inputs.count && !clip.inputs[slot].isEmpty {
            guard let tensor = graph.constant(clip.inputs[slot]), tensor.count == 1, tensor.dtype.isFloatingPoint else {
                return nil
            }
            bounds[slot - 1] = tensor.floatValues[0]
        }
        return bounds
    }
}

extension Graph {
    /// The dtype declared for value `name` by an initializer, graph input/output or value info; nil if unknown.
    func declaredDType(_ name: String) -> DType? {
        if let tensor = initializers[name] { return tensor.dtype }
        return (inputs + outputs + valueInfo).first { $0.name == name }?.dtype
    }
}
