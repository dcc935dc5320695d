import QKGraph
import QKTensor

/// A weight ready for an integer op: float32 values in the integer op's layout ([K, N] for MatMulInteger,
/// Conv's [M, C/group, k…] for ConvInteger), the multiplier α folded into the output scale, and the bias.
struct DynamicWeightPlan {
    var weight: Tensor
    /// Axis of the output channel in `weight` (1 for [K, N], 0 for Conv).
    var channelAxis: Int
    var alpha: Float
    /// Bias value name (already scaled by β) to add after the rescale, if any.
    var bias: String?
}

/// Rewrites the nodes of one graph for ``DynamicQuantizer``: walks nodes in order, replaces selected ones by the
/// integer form and records a decision per node.
struct DynamicRewriter {
    let source: Graph
    let config: QuantizationConfig
    var nodes: [Node] = []
    var initializers: [String: Tensor]
    var decisions: [QuantizationDecision] = []
    /// Activation name → (x_q, s_x, z_x) from its shared DynamicQuantizeLinear.
    private var quantizedActivations: [String: (q: String, scale: String, zeroPoint: String)] = [:]

    init(graph: Graph, config: QuantizationConfig) {
        source = graph
        self.config = config
        initializers = graph.initializers
    }

    mutating func run() throws {
        for node in try source.topologicallySorted().nodes {
            if let problem = DynamicQuantizer.selectionProblem(node, config: config) {
                keep(node, problem)
                continue
            }
            switch try plan(for: node) {
            case .failure(let reason): keep(node, reason.message)
            case .success(let weightPlan): try emit(node, weightPlan)
            }
        }
    }

    private struct Reason: Error { let message: String }

    private mutating func keep(_ node: Node, _ reason: String) {
        nodes.append(node)
        decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType, action: .keptFloat,
                                              reason: reason))
    }

    /// The weight plan of a selected node, or why it stays float.
    private func plan(for node: Node) throws -> Result<DynamicWeightPlan, Reason> {
        guard node.inputs.count >= 2, let weight = source.initializers[node.inputs[1]] else {
            return .failure(Reason(message: "weight input is not a constant initializer"))
        }
        guard weight.dtype == .float32 else { return .failure(Reason(message: "weight is \(weight.dtype), not float32")) }
        guard weight.floatValues.allSatisfy(\.isFinite) else {
            throw DynamicQuantizationError.nonFiniteWeight(node: node.displayName, tensor: node.inputs[1])
        }
        let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil
        switch node.opType {
        case "MatMul":
            guard weight.shape.count == 2 else {
                return .failure(Reason(message: "weight has rank \(weight.shape.count), not 2"))
            }
            return .success(DynamicWeightPlan(weight: weight, channelAxis: 1, alpha: 1, bias: nil))
        case "Gemm":
            guard try node.int("transA", default: 0) == 0 else { return .failure(Reason(message: "transA = 1")) }
            let beta = try node.float("beta", default: 1)
            var scaledBias = bias
            if let c = bias, beta != 1 {
                guard source.initializers[c]?.dtype == .float32 else {
                    return .failure(Reason(message: "beta ≠ 1 with a non-constant C"))
                }
                scaledBias = node.outputs[0] + "_bias_scaled"
            }
            let transposed = try node.int("transB", default: 0) == 1 ? transpose2D(weight) : weight
            return .success(DynamicWeightPlan(weight: transposed, channelAxis: 1,
                                              alpha: try node.float("alpha", default: 1), bias: scaledBias))
        default: // Conv
            guard weight.shape.count >= 3 else { return .failure(Reason(message: "weight rank < 3")) }
            if let b = bias, source.initializers[b] == nil {
                return .failure(Reason(message: "bias is not a constant initializer"))
            }
            return .success(DynamicWeightPlan(weight: weight, channelAxis: 0, alpha: 1, bias: bias))
        }
    }

    /// [R, C] → [C, R].
    private func transpose2D(_ tensor: Tensor) -> Tensor {
        let (rows, cols) = (tensor.shape[0], tensor.shape[1])
        let v = tensor.floatValues
        var out = [Float](repeating: 0, count: v.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = v[r * cols + c] } }
        return Tensor(shape: [cols, rows], values: out)
    }

    /// The shared DynamicQuantizeLinear outputs of activation `name`, adding the node on first use.
    private mutating func quantizedActivation(_ name: String) -> (q: String, scale: String, zeroPoint: String) {
        if let existing = quantizedActivations[name] { return existing }
        let names = (q: name + "_quantized", scale: name + "_scale", zeroPoint: name + "_zero_point")
        nodes.append(Node(name: name + "_DynamicQuantizeLinear", opType: "DynamicQuantizeLinear", inputs: [name],
                          outputs: [names.q, names.scale, names.zeroPoint]))
        quantizedActivations[name] = names
        return names
    }

    /// Replaces `node` by DynamicQuantizeLinear (shared) → MatMulInteger/ConvInteger → Cast → Mul (→ Add).
    private mutating func emit(_ node: Node, _ plan: DynamicWeightPlan) throws {
        let out = node.outputs[0]
        let perChannel = config.perChannel
        let parameters = try QuantParameters.fitting(
            plan.weight, type: config.weightType, symmetric: config.weightSymmetric, reduceRange: config.reduceRange,
            axis: perChannel ? plan.channelAxis : nil)
        let quantizedWeight = try quantize(plan.weight, parameters)
        let isConv = node.opType == "Conv"
        let channels = plan.weight.shape[plan.channelAxis]
        let rank = plan.weight.shape.count
        // Output layout of the per-channel scale: [N] for [.., N] MatMul outputs, [M, 1, …] for Conv's NCHW.
        let scaleShape = parameters.scales.count == 1 ? [] : (isConv ? [channels] + Array(repeating: 1, count: rank - 2) : [channels])
        let (qW, zW, sW) = (out + "_W_quantized", out + "_W_zero_point", out + "_W_scale")
        initializers[qW] = quantizedWeight
        let zeroPoints = parameters.zeroPoints
        let zpValues = Set(zeroPoints).count == 1 ? [zeroPoints[0]] : zeroPoints
        let zpShape = zpValues.count == 1 ? [] : [zpValues.count]
        initializers[zW] = config.weightType == .int8
            ? Tensor(shape: zpShape, values: zpValues.map { Int8(truncatingIfNeeded: $0) })
            : Tensor(shape: zpShape, values: zpValues.map { UInt8(truncatingIfNeeded: $0) })
        initializers[sW] = Tensor(shape: scaleShape, values: parameters.scales.map { $0 * plan.alpha })
        let x = quantizedActivation(node.inputs[0])
        let integerOp = isConv ? "ConvInteger" : "MatMulInteger"
        let attributes = isConv ? node.attributes : [:]
        nodes.append(Node(name: out + "_" + integerOp, opType: integerOp, inputs: [x.q, qW, x.zeroPoint, zW],
                          outputs: [out + "_int32"], attributes: attributes))
        nodes.append(Node(name: out + "_Cast", opType: "Cast", inputs: [out + "_int32"], outputs: [out + "_cast"],
                          attributes: ["to": .int(1)]))
        nodes.append(Node(name: out + "_scale_Mul", opType: "Mul", inputs: [x.scale, sW], outputs: [out + "_scales"]))
        let rescaled = plan.bias == nil ? out : out + "_rescaled"
        nodes.append(Node(name: out + "_Mul", opType: "Mul", inputs: [out + "_cast", out + "_scales"],
                          outputs: [rescaled]))
        if let bias = plan.bias {
            nodes.append(Node(name: out + "_bias_Add", opType: "Add", inputs: [rescaled, try biasValue(node, bias, plan)],
                              outputs: [out]))
        }
        let granularity = perChannel ? "per-channel" : "per-tensor"
        decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType, action: .quantized,
                                              reason: "\(integerOp), \(config.weightType) weights \(granularity)"))
    }

    /// The bias as the rescaled output's addend: β·C for Gemm (initializer written on first use), Conv's [M]
    /// bias reshaped to [M, 1, …].
    private mutating func biasValue(_ node: Node, _ bias: String, _ plan: DynamicWeightPlan) throws -> String {
        if node.opType == "Conv" {
            guard let tensor = source.initializers[bias] else { return bias }
            let name = node.outputs[0] + "_bias_reshaped"
            initializers[name] = try tensor.reshaped([tensor.count] + Array(repeating: 1, count: plan.weight.shape.count - 2))
            return name
        }
        let original = node.inputs[2]
        guard bias != original, let tensor = source.initializers[original] else { return bias }
        let beta = try node.float("beta", default: 1)
        initializers[bias] = Tensor(shape: tensor.shape, values: tensor.floatValues.map { $0 * beta })
        return bias
    }
}
