import QKGraph
import QKTensor

extension IntegerFusion {
    /// Folds DQ(a), DQ(b) → Add (float out, as before a residual LayerNorm) into one `DequantizedAdd` node when
    /// each DequantizeLinear has a constant per-tensor scale and 8-bit zero point and only the Add reads it. The
    /// node computes the same fp32 values (each operand dequantized by the same kernel, then added) in one node.
    static func foldDequantizedAdds(_ graph: Graph) -> (Graph, [IntegerFusionReport.Entry]) {
        rewriteNodes(graph) { position, node, index in
            guard node.opType == "Add", node.normalizedDomain == "", node.inputs.count == 2, node.inputs[0] != node.inputs[1],
                  node.attributes.isEmpty else { return nil }
            let operands = node.inputs.compactMap { input -> (index: Int, node: Node)? in
                guard let producer = index.producer(of: input), producer.node.opType == "DequantizeLinear",
                      producer.node.normalizedDomain == "", index.soleReader(of: input)?.index == position,
                      producer.node.attributes.keys.allSatisfy({ $0 == "axis" }), producer.node.inputs.count == 3,
                      let scale = index.constant(producer.node.inputs[1]), scale.dtype == .float32, scale.count == 1,
                      scale.rank <= 1, let value = scale.floatValues.first, value > 0, value.isFinite,
                      let zero = index.constant(producer.node.inputs[2]), zero.count == 1, zero.rank <= 1,
                      zero.dtype == .uint8 || zero.dtype == .int8 else { return nil }
                return producer
            }
            guard operands.count == 2 else { return nil }
            let fused = Node(name: node.name, opType: "DequantizedAdd", domain: domain,
                             inputs: operands[0].node.inputs + operands[1].node.inputs, outputs: node.outputs)
            return (fused, operands.map(\.index), .init(node: node.displayName, opType: node.opType, detail: "DequantizedAdd"))
        }
    }
}
