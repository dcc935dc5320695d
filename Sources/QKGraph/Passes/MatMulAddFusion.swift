import QKTensor

/// Fuses a float32 MatMul with a constant weight and the Add of a constant bias that follows it into one
/// "ai.quantkit" MatMulAdd node, as ONNX Runtime's MatMulAddFusion (which writes a Gemm):
///
///     y = x · B + bias,   x [..., K], B [K, N] constant, bias [N] or [1, …, 1, N] constant → y [..., N]
///
/// A pair `MatMul(x, B) → Add` is fused when the MatMul's only output is read by the Add alone (once), is not a
/// graph output, B is a constant float32 matrix, the Add's other input is a constant float32 bias whose shape
/// is all ones except a last axis of length N (so it broadcasts along the last axis only), in either Add
/// position. The fused node keeps the MatMul's name, reads (x, B, bias) and writes the Add's output. The
/// model imports ("ai.quantkit", 1) when a pair was fused.
public enum MatMulAddFusion {
    /// The fused op's domain and name.
    public static let domain = "ai.quantkit"
    public static let opType = "MatMulAdd"

    /// The model with every fusable pair fused, and the number of pairs fused.
    public static func apply(to model: Model) -> (model: Model, report: PassReport) {
        var graph = model.graph
        let producers = graph.producerIndex
        let reads = graph.valueReadCounts
        var fusedAdds = Set<Int>()
        for (addIndex, add) in graph.nodes.enumerated() {
            guard add.opType == "Add", add.normalizedDomain == "", add.inputs.count == 2, add.outputs.count == 1
            else { continue }
            for position in 0..<2 {
                guard let producerIndex = producers[add.inputs[position]],
                      let fused = fuse(graph.nodes[producerIndex], add, biasName: add.inputs[1 - position],
                                       graph: graph, reads: reads) else { continue }
                graph.valueInfo.removeAll { $0.name == add.inputs[position] }
                graph.nodes[producerIndex] = fused
                fusedAdds.insert(addIndex)
                break
            }
        }
        let report = PassReport(pass: "MatMulAddFusion", nodesFused: fusedAdds.count)
        return (model.withFusedGraph(graph, removing: fusedAdds, importing: domain), report)
    }

    /// The MatMulAdd replacing `matMul` → `add`, or nil when the pair does not qualify.
    private static func fuse(_ matMul: Node, _ add: Node, biasName: String, graph: Graph,
                             reads: [String: Int]) -> Node? {
        guard matMul.opType == "MatMul", matMul.normalizedDomain == "", matMul.inputs.count == 2,
              matMul.outputs.count == 1, reads[matMul.outputs[0]] == 1,
              !graph.outputs.contains(where: { $0.name == matMul.outputs[0] }),
              let weight = graph.constant(matMul.inputs[1]), weight.dtype == .float32, weight.rank == 2,
              let bias = graph.constant(biasName), bias.dtype == .float32, bias.rank >= 1,
              bias.shape.last == weight.shape[1], bias.count == weight.shape[1] else { return nil }
        var fused = matMul
        fused.opType = opType
        fused.domain = domain
        fused.inputs = [matMul.inputs[0], matMul.inputs[1], biasName]
        fused.outputs = add.outputs
        return fused
    }
}
