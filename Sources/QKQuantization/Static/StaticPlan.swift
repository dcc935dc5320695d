import QKGraph
import QKTensor

/// Which nodes the static quantizer rewrites and the activation parameters of every quantized tensor, decided
/// from the config and the calibrated ranges before any graph is written.
struct StaticPlan {
    /// The graph to rewrite (fused Relu/Clip nodes still present; see ``fused``).
    var graph: Graph
    /// Indices of nodes rewritten to a quantized form (fused activations excluded).
    var quantized: Set<Int> = []
    /// Fused activation node index → its producer's index; the producer writes the activation's output.
    var fused: [Int: Int] = [:]
    /// Scale/zero point of each quantized activation tensor (after fusion, under the activation's output name).
    var activationParameters: [String: QuantParameters] = [:]
    /// Constant inputs of elementwise ops quantized offline with the activation type.
    var constantActivations: Set<String> = []
    var decisions: [QuantizationDecision] = []

    /// Decides every node in topological order.
    init(graph: Graph, config: QuantizationConfig, ranges: [String: CalibratedRange]) throws {
        self.graph = graph
        let order = try graph.topologicalOrder()
        var producer: [String: Int] = [:]
        var consumerCount: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producer[output] = index }
            for input in node.inputs where !input.isEmpty { consumerCount[input, default: 0] += 1 }
        }
        let outliers = OutlierDetector.outliers(graph: graph, ranges: ranges)
        let graphOutputs = Set(graph.outputs.map(\.name))
        let selector = NodeSelector(config: config)
        for index in order {
            let node = graph.nodes[index]
            let outcome: (QuantizationDecision.Action, String)
            if let excluded = selector.exclusionReason(node) {
                outcome = (.keptFloat, excluded)
            } else if let role = staticOpRoles[node.opType] {
                switch role {
                case .activation:
                    let source = node.inputs.first.flatMap { producer[$0] }
                    outcome = fuse(node, index: index, producer: source, ranges: ranges, config: config,
                                   singleReader: consumerCount[node.inputs[0]] == 1, graphOutputs: graphOutputs)
                case .shareScale:
                    outcome = share(node, index: index)
                case .weighted, .elementwise, .pooling:
                    outcome = quantize(node, index: index, role: role, ranges: ranges, outliers: outliers,
                                       config: config)
                }
            } else {
                outcome = (.keptFloat, QuantizationDecision.noQuantizedFormPrefix + node.opType)
            }
            decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType, action: outcome.0,
                                                  reason: outcome.1))
        }
    }

    private func activationParameters(_ range: CalibratedRange, _ config: QuantizationConfig) -> QuantParameters {
        let fitted = quantParameters(min: range.min, max: range.max, type: config.activationType,
                                     symmetric: config.activationSymmetric)
        return QuantParameters(scale: fitted.scale, zeroPoint: fitted.zeroPoint, type: config.activationType)
    }

    private mutating func quantize(_ node: Node, index: Int, role: StaticOpRole,
                                   ranges: [String: CalibratedRange], outliers: [String: String],
                                   config: QuantizationConfig) -> (QuantizationDecision.Action, String) {
        let inputs = node.inputs.filter { !$0.isEmpty }
        var activations: [String] = []
        var constants: [String] = []
        switch role {
        case .weighted:
            guard inputs.count >= 2 else { return (.keptFloat, "missing weight input") }
            let weight = inputs[1]
            guard let w = graph.initializers[weight], w.dtype == .float32 else {
                if node.opType == "MatMul" { activations = [inputs[0], inputs[1]]; break }
                return (.keptFloat, "weight '\(weight)' is not a float32 constant")
            }
            if w.rank < 2 { return (.keptFloat, "weight '\(weight)' has rank \(w.rank)") }
            activations = [inputs[0]]
        case .elementwise:
            for input in inputs {
                if let constant = graph.initializers[input] {
                    guard constant.dtype == .float32 else { return (.keptFloat, "input '\(input)' is not float32") }
                    constants.append(input)
                } else {
                    activations.append(input)
                }
            }
        default:
            activations = [inputs[0]]
        }
        guard let output = node.outputs.first, !output.isEmpty else { return (.keptFloat, "no output") }
        for tensor in activations + [output] {
            if let reason = outliers[tensor] { return (.keptFloat, reason) }
            guard ranges[tensor] != nil else {
                return (.keptFloat, "'\(tensor)' is not a float32 value reached by calibration")
            }
        }
        for tensor in activations where activationParameters[tensor] == nil {
            activationParameters[tensor] = activationParameters(ranges[tensor]!, config)
        }
        activationParameters[output] = activationParameters(ranges[output]!, config)
        constantActivations.formUnion(constants)
        quantized.insert(index)
        let weights = activations.count < inputs.count - constants.count ? ", weight \(config.weightType) offline" : ""
        return (.quantized, "activations \(config.activationType) from calibrated ranges\(weights)")
    }

    private mutating func share(_ node: Node, index: Int) -> (QuantizationDecision.Action, String) {
        guard let input = node.inputs.first, let parameters = activationParameters[input],
              let output = node.outputs.first else {
            return (.keptFloat, "input is not quantized, so there is no scale to share")
        }
        activationParameters[output] = parameters
        quantized.insert(index)
        return (.quantized, "value-preserving: output reuses the scale/zero point of '\(input)'")
    }

    private mutating func fuse(_ node: Node, index: Int, producer: Int?, ranges: [String: CalibratedRange],
                               config: QuantizationConfig, singleReader: Bool,
                               graphOutputs: Set<String>) -> (QuantizationDecision.Action, String) {
        guard let source = producer, quantized.contains(source),
              fusableProducers.contains(graph.nodes[source].opType) else {
            return (.keptFloat, "\(node.opType) is quantized only when fused into a quantized Conv/Gemm/MatMul/Add")
        }
        guard !config.activationSymmetric else {
            return (.keptFloat, "symmetric activations cannot represent \(node.opType)'s clamp at 0")
        }
        guard singleReader, let output = node.outputs.first, !graphOutputs.contains(output),
              !graphOutputs.contains(node.inputs[0]), let range = ranges[output] else {
            return (.keptFloat, "producer output has other readers or is a graph output")
        }
        if node.opType == "Clip", !clipStartsAtZero(node) {
            return (.keptFloat, "Clip with a lower bound other than 0 is not fusable")
        }
        activationParameters[node.inputs[0]] = nil
        activationParameters[output] = activationParameters(range, config)
        fused[index] = source
        return (.quantized, "fused into '\(graph.nodes[source].displayName)': its output is quantized with this "
                    + "\(node.opType)'s output range, whose lower bound 0 maps to the zero point")
    }

    /// True when the Clip's minimum (attribute before opset 11, constant input 1 after) is exactly 0.
    private func clipStartsAtZero(_ node: Node) -> Bool {
        if let low = try? node.float("min") { return low == 0 }
        guard node.inputs.count > 1, !node.inputs[1].isEmpty,
              let low = graph.initializers[node.inputs[1]]?.floatValues.first else { return false }
        return low == 0
    }
}

/// Applies the include/exclude lists of a config.
struct NodeSelector {
    let config: QuantizationConfig

    func exclusionReason(_ node: Node) -> String? {
        if config.excludeNodes.contains(node.name) { return "excluded by config (node name)" }
        if config.excludeOpTypes.contains(node.opType) { return "excluded by config (op type)" }
        if !config.includeNodes.isEmpty, !config.includeNodes.contains(node.name) {
            return "not in the config's node list"
        }
        if !config.opTypesToQuantize.isEmpty, !config.opTypesToQuantize.contains(node.opType) {
            return "op type not in the config's list"
        }
        return nil
    }
}
