import QKGraph
import QKTensor

/// Turns the QDQ groups written by ``QDQWriter`` into integer operators (ONNX Runtime's QOperator format).
///
/// A node whose inputs all come from DequantizeLinear and whose output feeds a QuantizeLinear becomes
///
/// | QDQ op                         | QOperator op                                    |
/// |--------------------------------|-------------------------------------------------|
/// | Conv (+ int32 bias)            | QLinearConv                                     |
/// | MatMul                         | QLinearMatMul (per-column b scale when per-channel) |
/// | Gemm (+ int32 bias)            | com.microsoft QGemm (keeps transB, int32 bias and per-channel B in one op, as ORT writes it; QLinearMatMul has no bias or transB) |
/// | Add, Mul                       | com.microsoft QLinearAdd, QLinearMul            |
/// | Concat                         | com.microsoft QLinearConcat                     |
/// | AveragePool, GlobalAveragePool | com.microsoft QLinearAveragePool, QLinearGlobalAveragePool |
/// | MaxPool, Reshape, Transpose, Flatten, Squeeze, Unsqueeze | the same op on the 8-bit tensor (scale shared) |
///
/// writing the QuantizeLinear's output directly; when float readers or a graph output need the float value,
/// a DequantizeLinear recreates it. Other nodes keep their Q/DQ form. DequantizeLinear/QuantizeLinear nodes left
/// without readers are removed, and ("com.microsoft", 1) is imported when a contrib op is used.
public enum QOperatorConverter {
    static let microsoftOps: [String: String] = [
        "Gemm": "QGemm", "Add": "QLinearAdd", "Mul": "QLinearMul", "Concat": "QLinearConcat",
        "AveragePool": "QLinearAveragePool", "GlobalAveragePool": "QLinearGlobalAveragePool",
    ]
    static let standardOps: [String: String] = ["Conv": "QLinearConv", "MatMul": "QLinearMatMul"]
    static let movingOps: Set<String> = ["MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze"]

    /// The QOperator form of a QDQ model.
    public static func convert(_ model: Model) throws -> Model {
        var graph = model.graph
        var dequantizer: [String: Node] = [:]
        var quantizer: [String: Node] = [:]
        var readers: [String: Int] = [:]
        for node in graph.nodes {
            if node.opType == "DequantizeLinear" { dequantizer[node.outputs[0]] = node }
            if node.opType == "QuantizeLinear" { quantizer[node.inputs[0]] = node }
            for input in node.inputs where !input.isEmpty { readers[input, default: 0] += 1 }
        }
        let graphOutputs = Set(graph.outputs.map(\.name))
        var nodes: [Node] = []
        var usesMicrosoft = false
        var removedQuantizers: Set<String> = []
        for node in graph.nodes {
            guard let output = node.outputs.first, let q = quantizer[output],
                  let converted = try integerNode(node, q: q, dequantizer: dequantizer, graph: graph) else {
                nodes.append(node)
                continue
            }
            usesMicrosoft = usesMicrosoft || converted.domain == "com.microsoft"
            nodes.append(converted)
            removedQuantizers.insert(q.name)
            if readers[output, default: 0] > 1 || graphOutputs.contains(output) {
                nodes.append(Node(name: output + "_DequantizeLinear_float", opType: "DequantizeLinear",
                                  inputs: [q.outputs[0], q.inputs[1], q.inputs[2]], outputs: [output]))
            }
        }
        nodes.removeAll { removedQuantizers.contains($0.name) }
        graph.nodes = removeUnread(nodes, outputs: graphOutputs)
        let read = Set(graph.nodes.flatMap(\.inputs)).union(graphOutputs)
        graph.initializers = graph.initializers.filter { read.contains($0.key) }
        var result = model
        result.graph = graph
        if usesMicrosoft, result.opsetVersion(for: "com.microsoft") == nil {
            result.opsetImports.append(OpsetImport(domain: "com.microsoft", version: 1))
        }
        return result
    }

    /// The integer form of `node` writing `q`'s output, or nil when an input is not dequantized or the node
    /// has a form with no integer equivalent.
    static func integerNode(_ node: Node, q: Node, dequantizer: [String: Node], graph: Graph) throws -> Node? {
        let y = [q.inputs[1], q.inputs[2]]
        func triple(_ name: String) -> [String]? {
            guard let dq = dequantizer[name], dq.inputs.count == 3 else { return nil }
            return dq.inputs
        }
        var inputs: [String]
        var opType = node.opType
        var domain = ""
        var attributes = node.attributes
        if movingOps.contains(node.opType) {
            guard let x = dequantizer[node.inputs[0]], node.outputs.filter({ !$0.isEmpty }).count == 1 else { return nil }
            inputs = [x.inputs[0]] + node.inputs.dropFirst()
        } else if let standard = standardOps[node.opType] ?? microsoftOps[node.opType] {
            opType = standard
            domain = standardOps[node.opType] == nil ? "com.microsoft" : ""
            switch node.opType {
            case "Conv", "MatMul", "Gemm":
                guard let a = triple(node.inputs[0]), node.inputs.count > 1, let b = triple(node.inputs[1]) else { return nil }
                inputs = a + b
                let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil
                let biasQuantized = bias.flatMap { dequantizer[$0]?.inputs[0] }
                if bias != nil && biasQuantized == nil { return nil }
                switch node.opType {
                case "Conv": inputs += y + (biasQuantized.map { [$0] } ?? [])
                case "Gemm":
                    guard try node.float("beta", default: 1) == 1 else { return nil }
                    inputs += [biasQuantized ?? ""] + y
                    attributes["beta"] = nil
                default: inputs += y
                }
            case "Add", "Mul":
                guard node.inputs.count == 2, let a = triple(node.inputs[0]), let b = triple(node.inputs[1]) else { return nil }
                inputs = a + b + y
            case "Concat":
                let parts = node.inputs.map(triple)
                guard parts.allSatisfy({ $0 != nil }) else { return nil }
                inputs = y + parts.flatMap { $0! }
            default:
                guard let x = triple(node.inputs[0]) else { return nil }
                inputs = x + y
            }
        } else {
            return nil
        }
        if opType == "QLinearGlobalAveragePool" { attributes["channels_last"] = .int(0) }
        return Node(name: node.name, opType: opType, domain: domain, inputs: inputs, outputs: [q.outputs[0]],
                    attributes: attributes)
    }

    /// Drops QuantizeLinear/DequantizeLinear nodes whose outputs nobody reads (repeated until none is left).
    static func removeUnread(_ nodes: [Node], outputs: Set<String>) -> [Node] {
        var current = nodes
        while true {
            let read = Set(current.flatMap(\.inputs)).union(outputs)
            let kept = current.filter { node in
                !["QuantizeLinear", "DequantizeLinear"].contains(node.opType) || node.outputs.contains(where: read.contains)
            }
            if kept.count == current.count { return kept }
            current = kept
        }
    }
}
