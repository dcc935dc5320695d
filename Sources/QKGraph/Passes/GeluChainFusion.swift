import QKTensor

/// Fuses the exact-Gelu subgraph that exporters write for `x·(1 + erf(x/√2))/2` into one "ai.quantkit"
/// GeluChain node that computes the same float32 operations in the same order in one pass over x:
///
///     u = Add(Erf(Div(x, d)), o)
///     y = Mul(Mul(x, s), u)      (scale_last = 0, BERT/Hugging Face form)
///     y = Mul(Mul(x, u), s)      (scale_last = 1)
///
/// d, o and s are constant float32 scalars (rank 0, or shape [1] when x has rank ≥ 1, so the output shape is
/// x's); Add and Mul may take their operands in either order (IEEE + and · commute exactly). Every value between
/// x and y must be read only by the next node of the chain and not be a graph output. The fused node keeps the
/// Div's name, reads (x, d, o, s) and writes the last Mul's output; since the constants are float32 and ONNX
/// arithmetic needs equal operand types, x is float32 in any valid model. The model imports ("ai.quantkit", 1)
/// when a chain was fused.
public enum GeluChainFusion {
    public static let domain = MatMulAddFusion.domain
    public static let opType = "GeluChain"

    /// The model with every matching chain fused, and the number of nodes removed (four per chain).
    public static func apply(to model: Model) -> (model: Model, report: PassReport) {
        var graph = model.graph
        let producers = graph.producerIndex
        let reads = graph.valueReadCounts
        let outputs = Set(graph.outputs.map(\.name))
        var removed = Set<Int>()
        for (lastIndex, last) in graph.nodes.enumerated() where isStandard(last, "Mul") {
            guard let match = Chain.match(last: lastIndex, graph: graph, producers: producers, reads: reads,
                                          outputs: outputs),
                  match.nodes.allSatisfy({ !removed.contains($0) }) else { continue }
            let div = graph.nodes[match.div]
            graph.nodes[match.div] = Node(
                name: div.name, opType: opType, domain: domain,
                inputs: [match.x, match.divisor, match.offset, match.scale], outputs: last.outputs,
                attributes: ["scale_last": .int(match.scaleLast ? 1 : 0)])
            let inner = match.nodes.filter { $0 != match.div }.flatMap { graph.nodes[$0].outputs } + div.outputs
            graph.valueInfo.removeAll { inner.contains($0.name) && !last.outputs.contains($0.name) }
            removed.formUnion(match.nodes.filter { $0 != match.div })
        }
        let report = PassReport(pass: "GeluChainFusion", nodesFused: removed.count)
        return (model.withFusedGraph(graph, removing: removed, importing: domain), report)
    }

    static func isStandard(_ node: Node, _ opType: String) -> Bool {
        node.opType == opType && node.normalizedDomain == "" && node.outputs.count == 1
    }

    /// One matched chain: node indices (Div, Erf, Add, inner Mul, last Mul) and the fused node's inputs.
    struct Chain {
        let div: Int
        let nodes: [Int]
        let x: String, divisor: String, offset: String, scale: String
        let scaleLast: Bool

        static func match(last lastIndex: Int, graph: Graph, producers: [String: Int], reads: [String: Int],
                          outputs: Set<String>) -> Chain? {
            let nodes = graph.nodes
            let last = nodes[lastIndex]
            guard last.inputs.count == 2 else { return nil }
            // The value produced inside the chain and read once, by `reader` only.
            func inner(_ name: String, _ opType: String) -> Int? {
                guard let index = producers[name], isStandard(nodes[index], opType), reads[name] == 1,
                      !outputs.contains(name) else { return nil }
                return index
            }
            // Scalar float32 constant of the chain.
            func scalar(_ name: String) -> Bool {
                guard let tensor = graph.constant(name), tensor.dtype == .float32, tensor.count == 1 else { return false }
                return tensor.rank == 0 || tensor.shape == [1]
            }
            // u = Add(Erf(Div(x, d)), o) → (add, erf, div, x, d, o).
            func erfSum(_ name: String) -> (add: Int, erf: Int, div: Int, x: String, d: String, o: String)? {
                guard let add = inner(name, "Add"), nodes[add].inputs.count == 2 else { return nil }
                for position in 0..<2 {
                    let o = nodes[add].inputs[1 - position]
                    guard scalar(o), let erf = inner(nodes[add].inputs[position], "Erf"), nodes[erf].inputs.count == 1,
                          let div = inner(nodes[erf].inputs[0], "Div"), nodes[div].inputs.count == 2,
                          scalar(nodes[div].inputs[1]) else { continue }
                    return (add, erf, div, nodes[div].inputs[0], nodes[div].inputs[1], o)
                }
                return nil
            }
            for position in 0..<2 {
                let (first, second) = (last.inputs[position], last.inputs[1 - position])
                guard let mul = inner(first, "Mul"), nodes[mul].inputs.count == 2 else { continue }
                let pair = nodes[mul].inputs
                // scale_last = 0: last = Mul(Mul(x, s), u); scale_last = 1: last = Mul(Mul(x, u), s).
                if let sum = erfSum(second) {
                    for k in 0..<2 where pair[k] == sum.x && scalar(pair[1 - k]) {
                        return Chain(div: sum.div, nodes: [sum.div, sum.erf, sum.add, mul, lastIndex], x: sum.x,
                                     divisor: sum.d, offset: sum.o, scale: pair[1 - k], scaleLast: false)
                    }
                }
                guard scalar(second) else { continue }
                for k in 0..<2 {
                    guard let sum = erfSum(pair[1 - k]), pair[k] == sum.x else { continue }
                    return Chain(div: sum.div, nodes: [sum.div, sum.erf, sum.add, mul, lastIndex], x: sum.x,
                                 divisor: sum.d, offset: sum.o, scale: second, scaleLast: true)
                }
            }
            return nil
        }
    }
}

extension Model {
    /// This model with `graph` (its nodes at positions `removed` deleted) and, when any node was removed,
    /// the opset import (`domain`, 1) added if missing: the last step of a fusion pass.
    func withFusedGraph(_ graph: Graph, removing removed: Set<Int>, importing domain: String) -> Model {
        var result = self
        result.graph = graph
        result.graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        if !removed.isEmpty && result.opsetVersion(for: domain) == nil {
            result.opsetImports.append(OpsetImport(domain: domain, version: 1))
        }
        return result
    }
}
