import QKGraph
import QKTensor

extension IntegerFusion {
    /// Folds a com.microsoft QLinearAdd/QLinearMul that is the only reader of an 8-bit IntegerGemm output and
    /// whose other operand is a constant scalar or row of N values (a quantized bias) into the IntegerGemm: its
    /// eight inputs follow the Gemm's nine (the slot of the Gemm's output left empty) and `post_op` names it. The
    /// Gemm then runs the same quantized add/multiply kernel on its output in place (same bytes, one node less).
    static func foldPostOps(_ graph: Graph) -> (Graph, [IntegerFusionReport.Entry]) {
        rewriteNodes(graph) { _, node, index in
            guard node.opType == "IntegerGemm", node.domain == domain, node.inputs.count >= 8, node.inputs.count <= 9, !node.inputs[6].isEmpty, node.attributes["post_op"] == nil,
                  let zero = index.constant(node.inputs[7]), let weights = index.constant(node.inputs[3]), weights.rank == 2,
                  let reader = index.soleReader(of: node.outputs[0]), reader.node.normalizedDomain == "com.microsoft",
                  ["QLinearAdd", "QLinearMul"].contains(reader.node.opType), reader.node.attributes.isEmpty,
                  reader.node.inputs.count == 8 else { return nil }
            let columns = (try? node.int("transB", default: 0)) == 1 ? weights.shape[0] : weights.shape[1]
            let slots = reader.node.inputs.indices.filter { reader.node.inputs[$0] == node.outputs[0] }
            guard slots == [0] || slots == [3], let other = index.constant(reader.node.inputs[3 - slots[0]]),
                  other.dtype == zero.dtype, other.rank <= 1, other.count == 1 || other.count == columns,
                  reader.node.inputs[1...].allSatisfy({ $0.isEmpty || $0 == node.outputs[0] || index.constant($0) != nil })
            else { return nil }
            var inputs = node.inputs + Array(repeating: "", count: 9 - node.inputs.count)
            inputs += reader.node.inputs.map { $0 == node.outputs[0] ? "" : $0 }
            var attributes = node.attributes
            attributes["post_op"] = .string(reader.node.opType)
            let folded = Node(name: node.name, opType: node.opType, domain: domain, inputs: inputs,
                              outputs: reader.node.outputs, attributes: attributes)
            return (folded, [reader.index], .init(node: reader.node.displayName, opType: reader.node.opType,
                                                  detail: "IntegerGemm post-op"))
        }
    }

    /// `graph` with each node for which `rewrite(position, node, index)` returns a replacement replaced by it and
    /// the nodes it absorbs removed, with the report entries.
    static func rewriteNodes(_ graph: Graph, _ rewrite: (Int, Node, QuantizedGraphIndex)
        -> (node: Node, absorbed: [Int], entry: IntegerFusionReport.Entry)?) -> (Graph, [IntegerFusionReport.Entry]) {
        let index = QuantizedGraphIndex(graph)
        var replaced: [Int: Node] = [:]
        var absorbed = Set<Int>()
        var entries: [IntegerFusionReport.Entry] = []
        for (position, node) in graph.nodes.enumerated() where !absorbed.contains(position) {
            guard let found = rewrite(position, node, index), found.absorbed.allSatisfy({ replaced[$0] == nil }) else { continue }
            replaced[position] = found.node
            absorbed.formUnion(found.absorbed)
            entries.append(found.entry)
        }
        var result = graph
        result.nodes = graph.nodes.enumerated().compactMap { absorbed.contains($0) ? nil : replaced[$0] ?? $1 }
        return (result, entries)
    }
}
