/// Removes nodes whose outputs reach no graph output, then initializers nothing reads any more.
///
/// A node is live when one of its outputs is a graph output or is read by a live node (a node's subgraphs
/// count as reads of every outer value they name). Graph inputs are kept even when unused, and so are
/// initializers listed as graph inputs (their default values). Value infos of removed values are dropped.
/// Live nodes keep their order.
public enum DeadNodeElimination {
    /// The model without dead nodes and unread initializers, and counts of what was removed.
    public static func apply(to model: Model) -> (model: Model, report: PassReport) {
        var graph = model.graph
        let producers = graph.producerIndex
        var live = [Bool](repeating: false, count: graph.nodes.count)
        var pending = graph.outputs.map(\.name)
        var seen = Set(pending)
        while let name = pending.popLast() {
            guard let index = producers[name], !live[index] else { continue }
            live[index] = true
            let node = graph.nodes[index]
            for input in node.inputs + node.subgraphReads where !input.isEmpty && seen.insert(input).inserted {
                pending.append(input)
            }
        }
        var report = PassReport(pass: "DeadNodeElimination")
        report.nodesRemoved = live.filter { !$0 }.count
        graph.nodes = zip(graph.nodes, live).filter(\.1).map(\.0)
        report.initializersRemoved = graph.removeUnreadInitializers(among: Set(graph.initializers.keys))
        let remaining = Set(graph.nodes.flatMap(\.outputs)).union(graph.inputs.map(\.name)).union(graph.initializers.keys)
        graph.valueInfo.removeAll { !remaining.contains($0.name) }
        var result = model
        result.graph = graph
        return (result, report)
    }
}
