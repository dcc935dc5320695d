import QKGraph
import QKQuantization
import QKTensor

/// Turns a QDQ model into a trainable model with ``FakeQuantize`` nodes, and back (``FakeQuantExporter``).
///
/// | QDQ form                                              | trainable form                                           |
/// |-------------------------------------------------------|----------------------------------------------------------|
/// | `x → QuantizeLinear(s, z) → DequantizeLinear(s, z) → x_dq` | `FakeQuantize(x, s, z[, range_min, range_max]) → x_dq` |
/// | `w_q (int8/uint8/…) → DequantizeLinear(s, z, axis) → w_dq` | float `w` (dequantized, or the given float weight) `→ FakeQuantize(w, s, z, axis) → w_dq` |
/// | `b_q (int32) → DequantizeLinear(s, 0) → b_dq`          | float `b` read directly; its reader is marked with ``FakeQuantize/int32BiasAttribute`` and the bias re-quantized at export |
///
/// Scales and zero points become float32 initializers under their own names; the quantized type comes from the
/// zero point's dtype (uint8 when absent) or ``FakeQuantOptions/weightType``. Any other quantized op (QOperator
/// form, dynamic quantization) is refused by name.
public enum FakeQuantRewriter {
    /// The trainable form of `model`. `floatWeights` (by the weight's name without `_quantized`) replace the
    /// dequantized weights as starting values when present, e.g. the BN-folded float weights PTQ started from.
    public static func rewrite(_ model: Model, options: FakeQuantOptions = FakeQuantOptions(),
                               floatWeights: [String: Tensor] = [:]) throws -> Model {
        let graph = model.graph
        var producer: [String: Node] = [:]
        var readers: [String: [Node]] = [:]
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty { producer[output] = node }
            for input in node.inputs where !input.isEmpty { readers[input, default: []].append(node) }
        }
        var initializers = graph.initializers
        var nodes: [Node] = []
        var rename: [String: String] = [:]
        let quantizeOutputs = Set(graph.nodes.filter { $0.opType == "QuantizeLinear" }.flatMap(\.outputs))
        let int32Biases = Set(graph.nodes.filter {
            $0.opType == "DequantizeLinear" && graph.initializers[$0.inputs[0]]?.dtype == .int32
        }.flatMap(\.outputs))
        for node in graph.nodes {
            switch node.opType {
            case "QuantizeLinear":
                let output = node.outputs[0]
                guard let consumers = readers[output], consumers.allSatisfy({ $0.opType == "DequantizeLinear" }) else {
                    throw TrainingError.unsupportedQuantization("QuantizeLinear '\(node.displayName)' feeds ops other "
                        + "than DequantizeLinear (QOperator form?); fine-tuning needs the QDQ format")
                }
            case "DequantizeLinear":
                let source = node.inputs[0]
                if quantizeOutputs.contains(source), let q = producer[source] {
                    nodes.append(try activationNode(q, node, &initializers, options: options))
                } else if let stored = graph.initializers[source] {
                    if stored.dtype == .int32 {
                        let name = freshName(base(of: node.outputs[0], source: source), initializers)
                        initializers[name] = try dequantized(stored, node, graph.initializers)
                        rename[node.outputs[0]] = name
                    } else {
                        nodes.append(try weightNode(node, stored, &initializers, options: options,
                                                    floatWeights: floatWeights))
                    }
                } else {
                    throw TrainingError.unsupportedQuantization("DequantizeLinear '\(node.displayName)' reads '\(source)', "
                        + "which is neither a constant nor a QuantizeLinear output")
                }
            default:
                if StaticQuantizer.quantizedOps.contains(node.opType) {
                    throw TrainingError.unsupportedQuantization("node '\(node.displayName)' is \(node.opType); only QDQ "
                        + "models (QuantizeLinear/DequantizeLinear pairs around float ops) can be fine-tuned")
                }
                var copy = node
                if node.inputs.count > 2, int32Biases.contains(node.inputs[2]) {
                    copy.attributes[FakeQuantize.int32BiasAttribute] = .int(1)
                }
                copy.inputs = copy.inputs.map { rename[$0] ?? $0 }
                nodes.append(copy)
            }
        }
        return model.replacingNodes(nodes, initializers: initializers)
    }

    /// `name` without a `_dequantized` suffix, or the quantized source without `_quantized`.
    static func base(of output: String, source: String) -> String {
        if output.hasSuffix("_dequantized") { return String(output.dropLast("_dequantized".count)) }
        if source.hasSuffix("_quantized") { return String(source.dropLast("_quantized".count)) }
        return output + "_float"
    }

    static func freshName(_ name: String, _ taken: [String: Tensor]) -> String {
        var candidate = name
        while taken[candidate] != nil { candidate += "_float" }
        return candidate
    }

    /// (q − z) · s of a constant quantized tensor, per the DequantizeLinear's parameters.
    static func dequantized(_ stored: Tensor, _ node: Node, _ initializers: [String: Tensor]) throws -> Tensor {
        let parameters = try parametersOf(node, dataShape: stored.shape, initializers)
        let layout = ChannelLayout(shape: stored.shape, axis: parameters.axis, blockSize: parameters.blockSize)
        let q = stored.int64Values
        var values = [Float](repeating: 0, count: q.count)
        layout.forEach { i, c in values[i] = Float(Int32(q[i]) - parameters.zeroPoints[c]) * parameters.scales[c] }
        return Tensor(shape: stored.shape, values: values)
    }

    /// The scale/zero point of a Q or DQ node (inputs 1 and 2, axis default 1 for 1-D parameters, `block_size`).
    static func parametersOf(_ node: Node, dataShape: [Int], _ initializers: [String: Tensor],
                             type: QuantType? = nil) throws -> QuantParameters {
        guard node.inputs.count > 1, let scale = initializers[node.inputs[1]] else {
            throw TrainingError.unsupportedQuantization("'\(node.displayName)' needs a constant scale")
        }
        let zeroTensor = node.inputs.count > 2 && !node.inputs[2].isEmpty ? initializers[node.inputs[2]] : nil
        if node.inputs.count > 2, !node.inputs[2].isEmpty, zeroTensor == nil {
            throw TrainingError.unsupportedQuantization("'\(node.displayName)' needs a constant zero point")
        }
        let blockSize = try node.int("block_size", default: 0)
        let scales = scale.floatValues
        let zeros = zeroTensor.map { $0.int64Values.map { Int32($0) } } ?? Array(repeating: 0, count: scales.count)
        let resolved = type ?? zeroTensor.flatMap { quantType(of: $0.dtype) } ?? .uint8
        guard scales.count > 1 || blockSize > 0 else {
            return QuantParameters(type: resolved, scales: [scales[0]], zeroPoints: [zeros[0]], axis: nil)
        }
        let axis = axisOf(node, dataShape)
        let expected = dataShape.indices.contains(axis)
            ? ChannelLayout(shape: dataShape, axis: axis, blockSize: blockSize > 0 ? blockSize : nil).parameterCount : -1
        guard expected == scales.count, zeros.count == scales.count else {
            throw TrainingError.unsupportedQuantization("'\(node.displayName)' has \(scales.count) scales for shape "
                + "\(dataShape) on axis \(axis)")
        }
        return QuantParameters(type: resolved, scales: scales, zeroPoints: zeros, axis: axis,
                               blockSize: blockSize > 0 ? blockSize : nil)
    }

    static func axisOf(_ node: Node, _ shape: [Int]) -> Int {
        let axis = (try? node.int("axis", default: 1)) ?? 1
        return axis < 0 ? axis + shape.count : axis
    }

    /// The quantized type whose storage dtype is `dtype` (nil for non-quantized dtypes).
    static func quantType(of dtype: DType) -> QuantType? {
        QuantType.allCases.first { $0.storageDType == dtype }
    }
}

extension Model {
    /// The model with `nodes` and those of `initializers` that some node or graph output still reads.
    func replacingNodes(_ nodes: [Node], initializers: [String: Tensor]) -> Model {
        var result = self
        result.graph.nodes = nodes
        let read = Set(nodes.flatMap(\.inputs) + graph.outputs.map(\.name))
        result.graph.initializers = initializers.filter { read.contains($0.key) }
        return result
    }
}
