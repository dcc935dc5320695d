import QKTensor

/// Queries and edits shared by the graph passes.
extension Graph {
    /// How many times each value is read: once per node input slot naming it, once per subgraph node input
    /// naming it (an If/Loop body may read outer values), and once per graph output.
    var valueReadCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes {
            for name in node.inputs + node.subgraphReads where !name.isEmpty { counts[name, default: 0] += 1 }
        }
        for output in outputs { counts[output.name, default: 0] += 1 }
        return counts
    }

    /// The initializer `name` when it is a true constant: present and not also a graph input (which a caller
    /// may override at run time).
    func constant(_ name: String) -> Tensor? {
        guard !name.isEmpty, let tensor = initializers[name], !inputs.contains(where: { $0.name == name }) else {
            return nil
        }
        return tensor
    }

    /// Every value name the graph already uses (inputs, outputs, initializers, node outputs, value infos).
    var usedValueNames: Set<String> {
        var names = Set(inputs.map(\.name)).union(outputs.map(\.name)).union(initializers.keys).union(valueInfo.map(\.name))
        for node in nodes { names.formUnion(node.outputs) }
        return names
    }

    /// Returns `base`, or `base_1`, `base_2`, … — the first not in `taken` — and records it in `taken`.
    static func uniqueName(_ base: String, taken: inout Set<String>) -> String {
        var candidate = base
        var suffix = 1
        while taken.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        taken.insert(candidate)
        return candidate
    }

    /// Deletes those of `candidates` that are initializers no node (or subgraph) reads and that are neither graph
    /// inputs nor graph outputs; returns how many were deleted.
    mutating func removeUnreadInitializers(among candidates: Set<String>) -> Int {
        let reads = valueReadCounts
        let inputNames = Set(inputs.map(\.name))
        var removed = 0
        for name in candidates where initializers[name] != nil && reads[name] == nil && !inputNames.contains(name) {
            initializers[name] = nil
            removed += 1
        }
        return removed
    }
}

extension Node {
    /// Names read by nodes inside this node's subgraph attributes, recursively (a superset of the outer values
    /// the subgraphs capture).
    var subgraphReads: [String] {
        attributes.values.flatMap { attribute -> [String] in
            switch attribute {
            case .graph(let graph): graph.nodes.flatMap { $0.inputs + $0.subgraphReads }
            case .graphs(let graphs): graphs.flatMap { $0.nodes.flatMap { $0.inputs + $0.subgraphReads } }
            default: []
            }
        }
    }
}
