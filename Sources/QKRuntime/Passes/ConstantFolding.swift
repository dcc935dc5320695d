import QKGraph
import QKTensor

/// Evaluates, ahead of time, every node whose inputs are all constants, and stores its outputs as initializers.
///
/// A node is folded when each input is an initializer (that is not also a graph input, which a caller may
/// override) or an output of an already folded node, its op has a kernel, it is deterministic, and it does not
/// produce a graph output. Quantize/Dequantize nodes are never folded: they are the quantization structure
/// itself. Outputs larger than `maxElements` stay as nodes, so folding cannot blow up the file size.
public enum ConstantFolding {
    /// Ops that must stay nodes even with constant inputs.
    public static let preservedOps: Set<String> = [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli",
    ]

    /// Returns the folded model and a report counting the folded nodes.
    public static func apply(to model: Model, maxElements: Int = 1 << 22) throws -> (model: Model, report: PassReport) {
        var graph = try model.graph.topologicallySorted()
        let overridable = Set(graph.inputs.map(\.name))
        let graphOutputs = Set(graph.outputs.map(\.name))
        var constants = graph.initializers.filter { !overridable.contains($0.key) }
        var kept: [Node] = []
        var folded = 0
        for node in graph.nodes {
            guard let outputs = try fold(node, constants: constants, model: model, graphOutputs: graphOutputs,
                                         maxElements: maxElements) else {
                kept.append(node)
                continue
            }
            for (name, tensor) in outputs { constants[name] = tensor }
            folded += 1
        }
        let report = PassReport(pass: "ConstantFolding", nodesFolded: folded)
        guard folded > 0 else { return (model, report) }
        let stillRead = Set(kept.flatMap(\.inputs)).union(graphOutputs)
        for (name, tensor) in constants where graph.initializers[name] == nil && stillRead.contains(name) {
            graph.initializers[name] = tensor
        }
        graph.nodes = kept
        var result = model
        result.graph = graph
        return (result, report)
    }

    /// The outputs of `node` when it can be folded, else nil.
    private static func fold(_ node: Node, constants: [String: Tensor], model: Model, graphOutputs: Set<String>,
                             maxElements: Int) throws -> [String: Tensor]? {
        guard !preservedOps.contains(node.opType),
              !node.outputs.contains(where: graphOutputs.contains),
              node.inputs.allSatisfy({ $0.isEmpty || constants[$0] != nil }),
              node.attributes.values.allSatisfy({ !$0.holdsGraph }),
              let kernel = OpTable.kernel(opType: node.opType, domain: node.normalizedDomain) else { return nil }
        let opset = Int(model.opsetVersion(for: node.normalizedDomain) ?? 1)
        let inputs = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
        let context = KernelContext(node: node, inputs: inputs, opset: opset, threads: 1)
        let outputs = try kernel(context)
        guard outputs.allSatisfy({ $0.count <= maxElements }) else { return nil }
        var named: [String: Tensor] = [:]
        for (name, tensor) in zip(node.outputs, outputs) where !name.isEmpty { named[name] = tensor }
        return named
    }
}

extension Attribute {
    /// True for subgraph attributes (If/Loop bodies), which folding leaves alone.
    var holdsGraph: Bool {
        switch self {
        case .graph, .graphs: true
        default: false
        }
    }
}
