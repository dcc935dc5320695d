import QKGraph
import QKTensor

/// Writes a ``StaticPlan`` as a QDQ graph.
///
/// - Activation `t` read by a quantized node: `QuantizeLinear(t, t_scale, t_zero_point) → t_quantized`,
///   `DequantizeLinear → t_dequantized`, inserted once before the first quantized reader; quantized readers read
///   `t_dequantized`, float readers and graph outputs keep reading `t`.
/// - Fused Relu/Clip: the producer writes the activation's output name, which gets a Q/DQ pair that every reader
///   (float ones too) reads, since that pair is what applies the clamp at 0.
/// - Weights: `w_quantized` (weight type, int4/uint4 included) + `DequantizeLinear(axis)` writing
///   `w_dequantized`; per channel on axis 0 for Conv, the output-channel axis of Gemm's B (0 with transB, else 1)
///   and MatMul's last axis; per block (`DequantizeLinear(axis, block_size)`, opset 21) along the reduction axis:
///   Conv's input channels (1), Gemm's K (1 with transB, else 0) and MatMul's second-to-last axis.
/// - Bias of Conv/Gemm: int32 `round_half_even(b / (scale_x · scale_w[c]))`, zero point 0, per channel when
///   the weight is; kept in float when the weight is per block (its scales are not per output channel).
struct QDQWriter {
    let plan: StaticPlan
    let config: QuantizationConfig
    private(set) var nodes: [Node] = []
    private(set) var initializers: [String: Tensor]
    private var dequantized: [String: String] = [:]

    init(plan: StaticPlan, config: QuantizationConfig) {
        self.plan = plan
        self.config = config
        self.initializers = plan.graph.initializers
    }

    /// The rewritten graph (nodes in topological order).
    mutating func write() throws -> Graph {
        let graph = plan.graph
        var renamedOutput: [Int: String] = [:]
        for (activation, producer) in plan.fused { renamedOutput[producer] = graph.nodes[activation].outputs[0] }
        var rewireAll: [String: String] = [:]
        for index in try graph.topologicalOrder() where plan.fused[index] == nil {
            var node = graph.nodes[index]
            node.inputs = node.inputs.map { rewireAll[$0] ?? $0 }
            if plan.quantized.contains(index) {
                try rewriteInputs(of: &node)
            }
            if let output = renamedOutput[index] {
                node.outputs[0] = output
                nodes.append(node)
                rewireAll[output] = try pair(for: output)
                continue
            }
            nodes.append(node)
        }
        var result = graph
        result.nodes = nodes
        let read = Set(nodes.flatMap(\.inputs) + graph.outputs.map(\.name))
        result.initializers = initializers.filter { read.contains($0.key) }
        return result
    }

    private mutating func rewriteInputs(of node: inout Node) throws {
        let role = staticOpRoles[node.opType]
        let original = node.inputs
        for (position, input) in node.inputs.enumerated() where !input.isEmpty {
            if plan.activationParameters[input] != nil, plan.graph.initializers[input] == nil {
                node.inputs[position] = try pair(for: input)
            } else if plan.constantActivations.contains(input), let value = plan.graph.initializers[input] {
                let parameters = try QuantParameters.fitting(value, type: config.activationType,
                                                             symmetric: config.activationSymmetric)
                node.inputs[position] = try constant(input, value, parameters, dtypeName: "activation")
            } else if case .weighted(let bias) = role, position == 1, let value = plan.graph.initializers[input] {
                let parameters = try weightParameters(node, value)
                node.inputs[position] = try constant(input, value, parameters, dtypeName: "weight")
                if let b = bias, b < node.inputs.count, !node.inputs[b].isEmpty {
                    node.inputs[b] = try quantizedBias(original[b], input: original[0], weight: parameters)
                        ?? node.inputs[b]
                }
            }
        }
    }

    /// Weight parameters fitted per tensor, per output channel or per block (see the type's notes for the axes).
    private func weightParameters(_ node: Node, _ value: Tensor) throws -> QuantParameters {
        var axis: Int?, blockSize: Int?
        switch config.weightGranularity {
        case .perTensor: break
        case .perChannel(let chosen): axis = try chosen ?? weightAxis(node, rank: value.rank)
        case .perBlock(let size, let chosen):
            (axis, blockSize) = (try chosen ?? reductionAxis(node, rank: value.rank), size)
        }
        if let a = axis, a < 0 { axis = a + value.rank }
        if config.clipWeights {
            return try QuantParameters.fittingMinimizingError(
                value, type: config.weightType, symmetric: config.weightSymmetric, reduceRange: config.reduceRange,
                axis: axis, blockSize: blockSize)
        }
        return try QuantParameters.fitting(value, type: config.weightType, symmetric: config.weightSymmetric,
                                           reduceRange: config.reduceRange, axis: axis, blockSize: blockSize)
    }

    /// The output-channel axis of a node's weight: 0 for Conv, MatMul's last, Gemm's per transB.
    private func weightAxis(_ node: Node, rank: Int) throws -> Int {
        switch node.opType {
        case "Conv": return 0
        case "Gemm": return try node.int("transB", default: 0) == 1 ? 0 : 1
        default: return rank - 1
        }
    }

    /// The reduction (input-channel) axis of a node's weight: 1 for Conv, MatMul's second-to-last, Gemm's per
    /// transB.
    private func reductionAxis(_ node: Node, rank: Int) throws -> Int {
        switch node.opType {
        case "Conv": return 1
        case "Gemm": return try node.int("transB", default: 0) == 1 ? 1 : 0
        default: return Swift.max(rank - 2, 0)
        }
    }

    /// Q/DQ pair for activation `name`, created once; returns the dequantized name.
    private mutating func pair(for name: String) throws -> String {
        if let existing = dequantized[name] { return existing }
        guard let parameters = plan.activationParameters[name] else {
            throw StaticQuantizationError.unsupportedType("activation '\(name)' has no calibrated range")
        }
        let (scale, zeroPoint) = try parameterTensors(name, parameters, shape: nil)
        nodes.append(Node(name: name + "_QuantizeLinear", opType: "QuantizeLinear",
                          inputs: [name, scale, zeroPoint], outputs: [name + "_quantized"]))
        nodes.append(Node(name: name + "_DequantizeLinear", opType: "DequantizeLinear",
                          inputs: [name + "_quantized", scale, zeroPoint], outputs: [name + "_dequantized"]))
        dequantized[name] = name + "_dequantized"
        return name + "_dequantized"
    }

    /// An offline-quantized constant with its DequantizeLinear; returns the dequantized name.
    private mutating func constant(_ name: String, _ value: Tensor, _ parameters: QuantParameters,
                                   dtypeName: String) throws -> String {
        if let existing = dequantized[name] { return existing }
        initializers[name + "_quantized"] = try quantize(value, parameters)
        let (scale, zeroPoint) = try parameterTensors(name, parameters, shape: value.shape)
        appendDequantize(name, inputs: [name + "_quantized", scale, zeroPoint], axis: parameters.axis,
                         blockSize: parameters.blockSize)
        return name + "_dequantized"
    }

    /// int32 bias at scale_x · scale_w[c]; nil when the bias is not a 1-D float32 constant matching the weight.
    private mutating func quantizedBias(_ name: String, input: String, weight: QuantParameters) throws -> String? {
        guard let bias = plan.graph.initializers[name], bias.dtype == .float32, bias.rank == 1,
              let inputScale = plan.activationParameters[input]?.scales.first,
              weight.blockSize == nil, weight.scales.count == 1 || weight.scales.count == bias.count else { return nil }
        if let existing = dequantized[name] { return existing }
        let scales = weight.scales.map { inputScale * $0 }
        let values = bias.floatValues.enumerated().map { c, b -> Int32 in
            let q = (Double(b) / Double(scales[scales.count == 1 ? 0 : c])).rounded(.toNearestOrEven)
            return Int32(Swift.min(Swift.max(q, Double(Int32.min)), Double(Int32.max)))
        }
        initializers[name + "_quantized"] = Tensor(shape: bias.shape, values: values)
        let perChannel = scales.count > 1
        initializers[name + "_scale"] = Tensor(shape: perChannel ? [scales.count] : [], values: scales)
        initializers[name + "_zero_point"] = Tensor(shape: perChannel ? [scales.count] : [],
                                                    values: Array(repeating: Int32(0), count: scales.count))
        appendDequantize(name, inputs: [name + "_quantized", name + "_scale", name + "_zero_point"],
                         axis: perChannel ? 0 : nil)
        return name + "_dequantized"
    }

    private mutating func appendDequantize(_ name: String, inputs: [String], axis: Int?, blockSize: Int? = nil) {
        var attributes: [String: Attribute] = [:]
        if let axis { attributes["axis"] = .int(Int64(axis)) }
        if let blockSize { attributes["block_size"] = .int(Int64(blockSize)) }
        nodes.append(Node(name: name + "_DequantizeLinear", opType: "DequantizeLinear", inputs: inputs,
                          outputs: [name + "_dequantized"], attributes: attributes))
        dequantized[name] = name + "_dequantized"
    }

    /// Scale (float32) and zero point (storage dtype) initializers: scalars per tensor, 1-D per axis, and per
    /// block the data's `shape` with the axis dimension replaced by the block count.
    private mutating func parameterTensors(_ name: String, _ parameters: QuantParameters,
                                           shape data: [Int]?) throws -> (String, String) {
        var shape = parameters.axis == nil ? [] : [parameters.scales.count]
        if let axis = parameters.axis, let blockSize = parameters.blockSize, var blocked = data {
            blocked[axis] = (blocked[axis] + blockSize - 1) / blockSize
            shape = blocked
        }
        initializers[name + "_scale"] = try Tensor(shape: shape, storage: .float32(parameters.scales))
        initializers[name + "_zero_point"] = try Tensor(shape: shape, storage: .int32(parameters.zeroPoints))
            .converted(to: parameters.type.storageDType)
        return (name + "_scale", name + "_zero_point")
    }
}
