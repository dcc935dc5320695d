import QKGraph
import QKTensor

/// Rewrites the quantized patterns of a model into integer nodes, so that quantized models run on integer
/// kernels instead of dequantize → fp32 op → quantize. The ``Interpreter`` applies it by default.
///
/// | pattern                                                            | becomes                               |
/// |--------------------------------------------------------------------|---------------------------------------|
/// | DQ(x), DQ(w const) [, DQ(bias)] → Conv [→ Relu/Clip] [→ Q]          | IntegerConv (ai.quantkit)             |
/// | DQ(x), DQ(w const 2-D) [, DQ(bias)] → MatMul/Gemm [→ Relu/Clip] [→ Q] | IntegerGemm (ai.quantkit)           |
/// | DQ(a), DQ(b) → MatMul → Q (both at run time)                         | IntegerMatMul (ai.quantkit)           |
/// | QLinearConv / QLinearMatMul / QGemm with constant weights            | IntegerConv / IntegerGemm             |
/// | DQ(a), DQ(b) → Add/Mul → Q                                           | com.microsoft QLinearAdd / QLinearMul |
/// | DQ → AveragePool/GlobalAveragePool → Q; DQ… → Concat → Q             | com.microsoft QLinear… op             |
/// | DQ(x) → MaxPool/Reshape/Transpose/Flatten/Squeeze/Unsqueeze → Q, same scale and zero point | the op on x |
/// | IntegerGemm → QLinearAdd/QLinearMul(constant row)                   | IntegerGemm with `post_op`            |
/// | DQ(a), DQ(b) → Add, float out                                        | DequantizedAdd (ai.quantkit)          |
/// | 8-bit x → elementwise chain with per-column constants → 8-bit y     | IntegerLookup (``LookupTableFusion``) |
///
/// Relu folds into the output range as max(q, y_zero_point) and Clip(lo, hi) as clamp(q, Q(lo), Q(hi)), both
/// exact because quantization is monotone and Q(0) = y_zero_point. Without a trailing Q the integer node
/// writes fp32 (acc · x_scale · w_scale). A bias is converted to int32 at the accumulator's scale
/// x_scale · w_scale[j] (unchanged when its DQ scale already is that product). Only 8-bit tensors with constant
/// scales and zero points are fused; values that are read in float elsewhere stay as they are.
public enum IntegerFusion {
    /// The private domain of the integer nodes this pass writes (never saved to a file).
    public static let domain = "ai.quantkit"

    /// The rewritten model and what was (and was not) fused. `elementwiseFolds` also replaces chains of
    /// elementwise nodes between 8-bit values by table lookups (``LookupTableFusion``) and folds a quantized bias
    /// add into the IntegerGemm before it (``foldPostOps(_:)``); both give the same bytes (tests turn them off to
    /// compare).
    public static func apply(to model: Model, elementwiseFolds: Bool = true) -> (model: Model, report: IntegerFusionReport) {
        var graph = model.graph
        let index = QuantizedGraphIndex(graph)
        var replaced: [Int: Node] = [:]
        var absorbed = Set<Int>()
        var report = IntegerFusionReport()
        var refusals: [String: String] = [:]
        for (position, node) in graph.nodes.enumerated() {
            switch match(node, index) {
            case .notApplicable: continue
            case .refused(let refusal): refusals[node.displayName] = refusal.reason
            case .fused(let fused, let nodes, let initializers):
                replaced[position] = fused
                absorbed.formUnion(nodes)
                for (name, tensor) in initializers { graph.initializers[name] = tensor }
                report.fused.append(.init(node: node.displayName, opType: node.opType, detail: fused.opType))
            }
        }
        var nodes: [Node] = []
        for (position, node) in graph.nodes.enumerated() where !absorbed.contains(position) {
            nodes.append(replaced[position] ?? node)
        }
        graph.nodes = removeUnreadDequantizers(nodes, outputs: index.graphOutputs)
        if elementwiseFolds {
            let lookups = LookupTableFusion.apply(to: graph, model: model)
            let postOps = foldPostOps(lookups.0)
            let adds = foldDequantizedAdds(postOps.0)
            graph = adds.0
            report.fused += lookups.1 + postOps.1 + adds.1
        }
        report.floatIslands = floatIslands(in: graph, refusals: refusals)
        var result = model
        result.graph = graph
        return (result, report)
    }

    /// The outcome of matching one node.
    enum Match {
        case notApplicable
        case refused(FusionRefusal)
        /// The integer node, the indices of the nodes it absorbs (activation, Q) and new initializers.
        case fused(Node, absorbed: [Int], initializers: [String: Tensor])
    }

    private static func match(_ node: Node, _ index: QuantizedGraphIndex) -> Match {
        switch node.normalizedDomain {
        case "":
            if ["Conv", "MatMul", "Gemm"].contains(node.opType) { return matchLinear(node, index) }
            if ["QLinearConv", "QLinearMatMul"].contains(node.opType) { return matchQOperator(node, index) }
            return matchElementwise(node, index)
        case "com.microsoft" where node.opType == "QGemm": return matchQOperator(node, index)
        default: return .notApplicable
        }
    }

    /// The Q node a pattern's output feeds, with the activation between them folded into real bounds.
    struct Tail {
        var quantizer: (index: Int, node: Node)?
        var absorbed: [Int] = []
        var clipMin: Float?
        var clipMax: Float?
    }

    /// Follows `node`'s output through an optional Relu/Clip (when `activations`) to a QuantizeLinear that is
    /// its only reader. A tail without quantizer means the output stays float.
    static func tail(of node: Node, _ index: QuantizedGraphIndex, activations: Bool) -> Result<Tail, FusionRefusal> {
        var tail = Tail()
        var value = node.outputs[0]
        if activations, let act = index.soleReader(of: value), act.node.normalizedDomain == "",
           act.node.opType == "Relu" || act.node.opType == "Clip" {
            guard let bounds = activationBounds(act.node, index) else {
                return .failure(FusionRefusal("Clip '\(act.node.displayName)' has bounds computed at run time"))
            }
            (tail.clipMin, tail.clipMax) = bounds
            tail.absorbed.append(act.index)
            value = act.node.outputs[0]
        }
        if let q = index.soleReader(of: value), q.node.opType == "QuantizeLinear", q.node.normalizedDomain == "" {
            tail.quantizer = q
            tail.absorbed.append(q.index)
        } else if !tail.absorbed.isEmpty {
            return .failure(FusionRefusal("the output of '\(node.displayName)' is read in float"))
        }
        return .success(tail)
    }

    /// Relu → (0, nil); Clip → its constant bounds (attributes before opset 11, inputs after); nil when a bound
    /// is computed at run time.
    private static func activationBounds(_ node: Node, _ index: QuantizedGraphIndex) -> (Float?, Float?)? {
        if node.opType == "Relu" { return (0, nil) }
        if node.attributes["min"] != nil || node.attributes["max"] != nil {
            return ((try? node.float("min")) ?? nil, (try? node.float("max")) ?? nil)
        }
        var bounds: [Float?] = [nil, nil]
        for slot in 1...2 where slot < node.inputs.count && !node.inputs[slot].isEmpty {
            guard let tensor = index.constant(node.inputs[slot]), tensor.count == 1, tensor.dtype.isFloatingPoint else {
                return nil
            }
            bounds[slot - 1] = tensor.floatValues[0]
        }
        return (bounds[0], bounds[1])
    }

    /// Drops DequantizeLinear nodes nobody reads any more (repeated, as one removal can orphan another).
    private static func removeUnreadDequantizers(_ nodes: [Node], outputs: Set<String>) -> [Node] {
        var current = nodes
        while true {
            let read = Set(current.flatMap(\.inputs)).union(outputs)
            let kept = current.filter { $0.opType != "DequantizeLinear" || $0.outputs.contains(where: read.contains) }
            if kept.count == current.count { return kept }
            current = kept
        }
    }

    /// Nodes still computing in fp32 on dequantized values after the rewrite, with the reason they stayed.
    private static func floatIslands(in graph: Graph, refusals: [String: String]) -> [IntegerFusionReport.Entry] {
        let index = QuantizedGraphIndex(graph)
        return graph.nodes.compactMap { node in
            guard !["QuantizeLinear", "DequantizeLinear"].contains(node.opType), node.normalizedDomain != domain,
                  node.inputs.contains(where: { index.dequantizer(of: $0) != nil }) else { return nil }
            let quantizedAfter = node.outputs.contains { out in
                index.readers(of: out).contains { index.graph.nodes[$0].opType == "QuantizeLinear" }
            }
            let reason = refusals[node.displayName]
                ?? (quantizedAfter ? "no integer kernel for \(node.opType)" : "its output leaves the quantized region")
            return .init(node: node.displayName, opType: node.opType, detail: reason)
        }
    }
}

/// What ``IntegerFusion`` did: the nodes it fused and the nodes left computing in fp32 between Q/DQ pairs.
public struct IntegerFusionReport: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var node: String
        public var opType: String
        /// For a fused node the integer op it became; for a float island why it stayed float.
        public var detail: String
    }

    public var fused: [Entry] = []
    public var floatIslands: [Entry] = []

    public init() {}
}
