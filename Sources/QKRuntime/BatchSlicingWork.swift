import QKGraph
import QKTensor

/// The multiply-adds one batch row of a model costs, for given input shapes: what decides whether a batch-sliced
/// run pays (a slice must do enough work to cover handing it to another thread and joining the outputs).
///
/// From shape inference on the graph with every batched input's dim 0 set to 1 (the other dims as fed):
///
///     Conv, ConvInteger, QLinearConv:        |Y| · C/group · |kernel|
///     Gemm, QGemm:                           M · N · K
///     MatMul, MatMulInteger, QLinearMatMul:  |Y| · K   (K = A's last dim)
///
/// Other ops are not counted (elementwise work is small next to these in the models slicing is for); a node whose
/// shapes inference cannot tell is skipped, so the estimate errs low.
enum BatchRowWork {
    static func multiplyAdds(model: Model, rowShapes: [String: [Int]]) -> Int {
        var probe = model
        probe.graph.valueInfo = []
        for index in probe.graph.outputs.indices { probe.graph.outputs[index].shape = nil }
        for index in probe.graph.inputs.indices {
            if let shape = rowShapes[probe.graph.inputs[index].name] {
                probe.graph.inputs[index].shape = shape.map { .known($0) }
            }
        }
        guard let inferred = try? ShapeInference.infer(probe) else { return 0 }
        func shape(_ name: String) -> [Int]? {
            guard let dims = inferred[name]?.shape else { return nil }
            let values = dims.compactMap(\.value)
            return values.count == dims.count ? values : nil
        }
        var total = 0
        for node in probe.graph.nodes {
            guard let output = node.outputs.first.flatMap(shape) else { continue }
            let outputCount = output.reduce(1, *)
            switch node.opType {
            case "Conv", "ConvInteger", "QLinearConv":
                let weightIndex = node.opType == "QLinearConv" ? 3 : 1
                guard node.inputs.count > weightIndex, let w = shape(node.inputs[weightIndex]), w.count >= 2 else { continue }
                total += outputCount * w.dropFirst().reduce(1, *)
            case "Gemm", "QGemm":
                guard let a = shape(node.inputs[0]), a.count == 2 else { continue }
                let transA = (try? node.int("transA", default: 0)) ?? 0
                total += outputCount * (transA != 0 ? a[0] : a[1])
            case "MatMul", "MatMulInteger", "QLinearMatMul":
                guard let a = shape(node.inputs[0]), let k = a.last else { continue }
                total += outputCount * k
            default:
                continue
            }
        }
        return total
    }
}
