import Foundation
import QKGraph
import QKTensor

/// The pattern matchers of ``IntegerFusion``.
extension IntegerFusion {
    static let elementwiseOps: [String: String] = [
        "Add": "QLinearAdd", "Mul": "QLinearMul", "AveragePool": "QLinearAveragePool",
        "GlobalAveragePool": "QLinearGlobalAveragePool", "Concat": "QLinearConcat",
    ]
    static let sharedScaleOps: Set<String> = ["MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze"]

    /// DQ(x), DQ(w) [, bias] → Conv/MatMul/Gemm [→ act] [→ Q].
    static func matchLinear(_ node: Node, _ index: QuantizedGraphIndex) -> Match {
        let dequantized = node.inputs.prefix(2).map { index.dequantizer(of: $0) }
        guard dequantized.contains(where: { $0 != nil }) else { return .notApplicable }
        guard let dqx = dequantized[0], dequantized.count == 2, let dqw = dequantized[1] else {
            return .refused(FusionRefusal("only some inputs of '\(node.displayName)' are dequantized"))
        }
        do {
            let x = try index.parameters(of: dqx, perTensor: true).get()
            let w = try index.parameters(of: dqw, perTensor: false).get()
            let tail = try self.tail(of: node, index, activations: true).get()
            guard index.constant(w.data) != nil else {
                guard node.opType == "MatMul", w.scaleValues.count == 1, let q = tail.quantizer, tail.absorbed.count == 1 else {
                    throw FusionRefusal("'\(node.displayName)' has weights computed at run time")
                }
                let y = try index.parameters(of: q.node, perTensor: true).get()
                let fused = Node(name: node.name, opType: "IntegerMatMul", domain: domain, inputs: x.triple + w.triple + [y.scale, y.zeroPoint],
                                 outputs: [q.node.outputs[0]])
                return .fused(fused, absorbed: tail.absorbed, initializers: [:])
            }
            return try linearNode(node, x: x, w: w, tail: tail, index)
        } catch let refusal as FusionRefusal {
            return .refused(refusal)
        } catch {
            return .refused(FusionRefusal("\(error)"))
        }
    }

    /// IntegerConv / IntegerGemm for a linear node with constant weights.
    private static func linearNode(_ node: Node, x: QuantizedValue, w: QuantizedValue, tail: Tail,
                                   _ index: QuantizedGraphIndex) throws -> Match {
        var attributes: [String: Attribute] = [:]
        var opType = "IntegerConv"
        let weights = index.constant(w.data)!
        var alpha: Float = 1, beta: Float = 1
        var channelAxis = 0
        switch node.opType {
        case "Conv":
            attributes = node.attributes
        default:
            opType = "IntegerGemm"
            guard weights.rank == 2 else { throw FusionRefusal("'\(node.displayName)' has \(weights.rank)-D weights") }
            let transB = try node.int("transB", default: 0)
            guard try node.int("transA", default: 0) == 0 else { throw FusionRefusal("'\(node.displayName)' has transA") }
            alpha = try node.float("alpha", default: 1)
            beta = try node.float("beta", default: 1)
            attributes = ["transB": .int(Int64(transB)), "alpha": .float(alpha)]
            channelAxis = transB != 0 ? 0 : 1
        }
        if w.scaleValues.count > 1, w.axis != channelAxis, w.axis != channelAxis - weights.rank {
            throw FusionRefusal("weights of '\(node.displayName)' are per-channel along axis \(w.axis), not the output axis")
        }
        var initializers: [String: Tensor] = [:]
        var biasName = ""
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            let bias = try integerBias(node, x: x, w: w, alpha: alpha, beta: beta, index)
            biasName = node.displayName + "/bias_int32"
            initializers[biasName] = bias
        }
        let output = try tail.quantizer.map { try index.parameters(of: $0.node, perTensor: true).get() }
        if let low = tail.clipMin { attributes["clip_min"] = .float(low) }
        if let high = tail.clipMax { attributes["clip_max"] = .float(high) }
        let fused = Node(name: node.name, opType: opType, domain: domain,
                         inputs: x.triple + w.triple + [output?.scale ?? "", output?.zeroPoint ?? "", biasName],
                         outputs: [tail.quantizer?.node.outputs[0] ?? node.outputs[0]],
                         attributes: attributes)
        return .fused(fused, absorbed: tail.absorbed, initializers: initializers)
    }

    /// The bias as int32 at the accumulator's scale alpha · x_scale · w_scale[j]: round(beta · b / that scale), or
    /// the DQ's int32 values unchanged when its scale already is beta⁻¹ · alpha · x_scale · w_scale[j].
    private static func integerBias(_ node: Node, x: QuantizedValue, w: QuantizedValue, alpha: Float, beta: Float,
                                    _ index: QuantizedGraphIndex) throws -> Tensor {
        let name = node.inputs[2]
        var real: [Double], quantized: [Int32]? = nil, biasScale: [Double] = []
        if let dq = index.dequantizer(of: name), let data = index.constant(dq.inputs[0]), data.dtype == .int32,
           let scale = index.constant(dq.inputs[1]), dq.inputs.count < 3 || dq.inputs[2].isEmpty
               || index.constant(dq.inputs[2]).map({ int32Values($0)?.allSatisfy { $0 == 0 } ?? false }) == true {
            let q = data.values(as: Int32.self) ?? []
            biasScale = scale.floatValues.map(Double.init)
            guard biasScale.count == 1 || biasScale.count == q.count else { throw FusionRefusal("bias scale of '\(node.displayName)' has \(biasScale.count) values for \(q.count) biases") }
            real = q.enumerated().map { Double($1) * biasScale[biasScale.count == 1 ? 0 : $0] }
            quantized = q
        } else if let constant = index.constant(name), constant.dtype == .float32 {
            real = constant.floatValues.map(Double.init)
        } else {
            throw FusionRefusal("the bias of '\(node.displayName)' is neither a dequantized int32 constant nor a float constant")
        }
        let count = real.count
        guard w.scaleValues.count == 1 || w.scaleValues.count == count else {
            throw FusionRefusal("'\(node.displayName)' has \(count) biases but \(w.scaleValues.count) weight scales")
        }
        let values = (0..<count).map { j -> Int32 in
            let accScale = Double(alpha) * Double(x.scaleValues[0]) * Double(w.scaleValues[w.scaleValues.count == 1 ? 0 : j])
            if let quantized {
                let ratio = Double(beta) * biasScale[biasScale.count == 1 ? 0 : j] / accScale
                if abs(ratio - 1) <= 1e-6 { return quantized[j] }
            }
            let v = (Double(beta) * real[j] / accScale).rounded(.toNearestOrEven)
            return v.isFinite ? Int32(max(min(v, Double(Int32.max)), Double(Int32.min))) : 0
        }
        return Tensor(shape: [count], values: values)
    }

    /// QLinearConv / QLinearMatMul / QGemm whose weights and quantization parameters are constants.
    static func matchQOperator(_ node: Node, _ index: QuantizedGraphIndex) -> Match {
        let isGemm = node.opType == "QGemm"
        let constantSlots = isGemm ? [1, 2, 3, 4, 5, 6, 7, 8] : node.opType == "QLinearConv" ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2, 3, 4, 5, 6, 7]
        for slot in constantSlots where slot < node.inputs.count && !node.inputs[slot].isEmpty {
            guard index.constant(node.inputs[slot]) != nil else {
                return .refused(FusionRefusal("input #\(slot) of '\(node.displayName)' is computed at run time"))
            }
        }
        guard node.inputs.count > 5, !node.inputs[2].isEmpty, !node.inputs[5].isEmpty else {
            return .refused(FusionRefusal("'\(node.displayName)' omits a zero point"))
        }
        var fused = node
        fused.domain = domain
        switch node.opType {
        case "QLinearConv":
            fused.opType = "IntegerConv"
        case "QLinearMatMul":
            guard index.constant(node.inputs[3])?.rank == 2 else { return .refused(FusionRefusal("'\(node.displayName)' has batched weights")) }
            fused.opType = "IntegerGemm"
            fused.attributes = ["transB": .int(0), "alpha": .float(1)]
        default:
            guard (try? node.int("transA", default: 0)) == 0 else { return .refused(FusionRefusal("'\(node.displayName)' has transA")) }
            if node.inputs.count > 6, !node.inputs[6].isEmpty, let c = index.constant(node.inputs[6]),
               !(c.rank == 1 || (c.rank == 2 && c.shape[0] == 1)) {
                return .refused(FusionRefusal("C of '\(node.displayName)' is not one row"))
            }
            func slot(_ i: Int) -> String { i < node.inputs.count ? node.inputs[i] : "" }
            fused.opType = "IntegerGemm"
            fused.inputs = Array(node.inputs[0..<6]) + [slot(7), slot(8), slot(6)]
            fused.attributes = ["transB": .int(Int64((try? node.int("transB", default: 0)) ?? 0)),
                                "alpha": .float((try? node.float("alpha", default: 1)) ?? 1)]
        }
        return .fused(fused, absorbed: [], initializers: [:])
    }

    /// Add/Mul/pools/Concat between DQ and Q become com.microsoft QLinear ops; scale-preserving ops run on the
    /// 8-bit tensor directly when the Q has the DQ's scale and zero point.
    static func matchElementwise(_ node: Node, _ index: QuantizedGraphIndex) -> Match {
        let isShared = sharedScaleOps.contains(node.opType)
        guard isShared || elementwiseOps[node.opType] != nil else { return .notApplicable }
        let operands = isShared ? [node.inputs[0]] : node.inputs
        let dequantizers = operands.map { index.dequantizer(of: $0) }
        guard dequantizers.contains(where: { $0 != nil }) else { return .notApplicable }
        do {
            guard dequantizers.allSatisfy({ $0 != nil }) else {
                throw FusionRefusal("only some inputs of '\(node.displayName)' are dequantized")
            }
            let inputs = try dequantizers.map { try index.parameters(of: $0!, perTensor: true).get() }
            guard node.outputs.filter({ !$0.isEmpty }).count == 1 else { throw FusionRefusal("'\(node.displayName)' has several outputs") }
            let tail = try self.tail(of: node, index, activations: false).get()
            guard let q = tail.quantizer else { throw FusionRefusal("the output of '\(node.displayName)' is not quantized") }
            let y = try index.parameters(of: q.node, perTensor: true).get()
            var fused = Node(name: node.name, opType: node.opType, inputs: [], outputs: [q.node.outputs[0]],
                             attributes: node.attributes)
            if isShared {
                guard inputs[0].sameParameters(as: y) else {
                    throw FusionRefusal("'\(node.displayName)' is quantized with a scale or zero point other than its input's")
                }
                fused.inputs = [inputs[0].data] + node.inputs.dropFirst()
            } else {
                fused.opType = elementwiseOps[node.opType]!
                fused.domain = "com.microsoft"
                let triples = inputs.flatMap(\.triple), output = [y.scale, y.zeroPoint]
                fused.inputs = node.opType == "Concat" ? output + triples : triples + output
            }
            return .fused(fused, absorbed: tail.absorbed, initializers: [:])
        } catch let refusal as FusionRefusal {
            return .refused(refusal)
        } catch {
            return .refused(FusionRefusal("\(error)"))
        }
    }
}
