import QKGraph
import QKQuantization
import QKTensor

/// Writes a trained fake-quantization model (``FakeQuantRewriter``'s form) as a QDQ model with the learned
/// scales, the same layout QuantKit's static quantizer writes:
///
/// - activation `x`: `QuantizeLinear(x, s, z) → x_quantized → DequantizeLinear(s, z)` writing the fake-quant output;
/// - weight `w`: `w_quantized` (quantized offline, round half to even, saturated) `→ DequantizeLinear(s, z, axis)`;
///   4-bit and 16-bit types raise the default opset to 21 where needed;
/// - the float bias of a Conv/Gemm marked with ``FakeQuantize/int32BiasAttribute`` whose input and weight are
///   fake-quantized: int32 round_half_even(b / (s_x · s_w[c])) with zero point 0, per channel when the weight is.
public enum FakeQuantExporter {
    public static func export(_ model: Model) throws -> Model {
        let graph = model.graph
        var initializers = graph.initializers
        var producer: [String: Node] = [:]
        for node in graph.nodes { for output in node.outputs { producer[output] = node } }
        var nodes: [Node] = []
        for node in try graph.topologicalOrder().map({ graph.nodes[$0] }) {
            guard node.opType == FakeQuantize.opType, node.normalizedDomain == FakeQuantize.domain else {
                var copy = node
                if copy.attributes.removeValue(forKey: FakeQuantize.int32BiasAttribute) != nil,
                   let bias = try quantizedBias(node, producer: producer, &initializers, &nodes) {
                    copy.inputs[2] = bias
                }
                nodes.append(copy)
                continue
            }
            let parameters = try parameters(of: node, initializers)
            let storage = parameters.type.storageDType
            let x = node.inputs[0], (scaleName, zeroName) = (node.inputs[1], node.inputs[2])
            let shape = parameters.blockSize == nil ? (parameters.axis == nil ? [] : [parameters.scales.count])
                : initializers[scaleName]!.shape
            initializers[scaleName] = Tensor(shape: shape, values: parameters.scales)
            initializers[zeroName] = Tensor(shape: shape, values: parameters.zeroPoints).converted(to: storage)
            var attributes: [String: Attribute] = [:]
            if let axis = parameters.axis { attributes["axis"] = .int(Int64(axis)) }
            if let size = parameters.blockSize { attributes["block_size"] = .int(Int64(size)) }
            if let weight = initializers[x], producer[x] == nil {
                initializers[x + "_quantized"] = try quantize(weight.floatValues, shape: weight.shape, parameters)
                nodes.append(Node(name: node.name, opType: "DequantizeLinear",
                                  inputs: [x + "_quantized", scaleName, zeroName], outputs: node.outputs,
                                  attributes: attributes))
            } else {
                nodes.append(Node(name: x + "_QuantizeLinear", opType: "QuantizeLinear", inputs: [x, scaleName, zeroName],
                                  outputs: [x + "_quantized"], attributes: attributes))
                nodes.append(Node(name: x + "_DequantizeLinear", opType: "DequantizeLinear",
                                  inputs: [x + "_quantized", scaleName, zeroName], outputs: node.outputs,
                                  attributes: attributes))
            }
        }
        var result = model.replacingNodes(nodes, initializers: initializers)
        // QuantizeLinear/DequantizeLinear take 4- and 16-bit types from opset 21 on.
        // Blocked QuantizeLinear/DequantizeLinear (block_size) too.
        let wide = result.graph.initializers.values.contains { [.int4, .uint4, .int16, .uint16].contains($0.dtype) }
            || result.graph.nodes.contains { $0.attributes["block_size"] != nil }
        if wide, (result.opsetVersion(for: "") ?? 0) < 21 {
            result.opsetImports = result.opsetImports.filter { $0.domain != "" && $0.domain != "ai.onnx" }
                + [OpsetImport(domain: "", version: 21)]
        }
        return result
    }

    /// The current scale/zero point of a FakeQuantize node.
    static func parameters(of node: Node, _ initializers: [String: Tensor]) throws -> QuantParameters {
        guard let scale = initializers[node.inputs[1]], let zero = initializers[node.inputs[2]] else {
            throw TrainingError.unsupportedQuantization("'\(node.displayName)' needs constant scale and zero point")
        }
        let type = try FakeQuantize.type(of: node)
        let zeros = zero.floatValues.map { Int32($0.rounded(.toNearestOrEven)) }
        let blockSize = try node.int("block_size", default: 0)
        return QuantParameters(type: type, scales: scale.floatValues, zeroPoints: zeros, axis: try node.int("axis"),
                               blockSize: blockSize > 0 ? blockSize : nil)
    }


    /// Name of an int32 DequantizeLinear'd bias replacing a float bias, or nil when the node's input and weight
    /// are not both fake-quantized (then the bias stays float).
    static func quantizedBias(_ node: Node, producer: [String: Node], _ initializers: inout [String: Tensor],
                              _ nodes: inout [Node]) throws -> String? {
        guard node.inputs.count > 2, !node.inputs[2].isEmpty else { return nil }
        let name = node.inputs[2]
        guard let bias = initializers[name], bias.dtype == .float32, bias.rank == 1,
              let input = producer[node.inputs[0]], isFakeQuantize(input), initializers[input.inputs[0]] == nil,
              let weight = producer[node.inputs[1]], isFakeQuantize(weight) else { return nil }
        let inputScale = try parameters(of: input, initializers).scales[0]
        let weightParameters = try parameters(of: weight, initializers)
        let weightScales = weightParameters.scales
        guard weightParameters.blockSize == nil, weightScales.count == 1 || weightScales.count == bias.count else { return nil }
        let scales = weightScales.map { inputScale * $0 }
        let values = bias.floatValues.enumerated().map { c, b -> Int32 in
            let q = (Double(b) / Double(scales[scales.count == 1 ? 0 : c])).rounded(.toNearestOrEven)
            return Int32(Swift.min(Swift.max(q, Double(Int32.min)), Double(Int32.max)))
        }
        let perChannel = scales.count > 1
        initializers[name + "_quantized"] = Tensor(shape: bias.shape, values: values)
        initializers[name + "_scale"] = Tensor(shape: perChannel ? [scales.count] : [], values: scales)
        initializers[name + "_zero_point"] = Tensor(shape: perChannel ? [scales.count] : [],
                                                    values: Array(repeating: Int32(0), count: scales.count))
        var attributes: [String: Attribute] = [:]
        if perChannel { attributes["axis"] = .int(0) }
        nodes.append(Node(name: name + "_DequantizeLinear", opType: "DequantizeLinear",
                          inputs: [name + "_quantized", name + "_scale", name + "_zero_point"],
                          outputs: [name + "_dequantized"], attributes: attributes))
        return name + "_dequantized"
    }

    static func isFakeQuantize(_ node: Node) -> Bool {
        node.opType == FakeQuantize.opType && node.normalizedDomain == FakeQuantize.domain
    }
}
