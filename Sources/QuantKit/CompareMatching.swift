import QKGraph
import QKTensor

/// Where a tensor of the float reference model is found in a quantized model, and how to read it as float.
public struct TensorMatch: Sendable, Equatable {
    /// How the quantized model holds the reference tensor.
    public enum Kind: String, Codable, Sendable {
        /// The output of a DequantizeLinear whose input is the QuantizeLinear of the reference name (QDQ:
        /// QuantKit's `t_dequantized`, ONNX Runtime's `t_DequantizeLinear_Output`): the value the next layer reads.
        case dequantized
        /// An 8-bit tensor written by an integer operator (QOperator: `t_quantized`), read as
        /// (q − zero point) · scale.
        case integer
        /// A value of the same name (kept-float nodes, dynamic, fp16/bf16 models).
        case sameName
    }

    public var reference: String
    public var quantized: String
    public var kind: Kind
    /// Per-tensor scale and zero point of an ``Kind/integer`` match.
    public var scale: Float?
    public var zeroPoint: Float?

    /// The quantized model's value as float32 values comparable with the reference.
    public func floatValues(of value: Tensor) -> [Float] {
        guard kind == .integer, let scale, let zeroPoint else { return value.floatValues }
        return value.floatValues.map { ($0 - zeroPoint) * scale }
    }
}

/// Pairs the tensors of a float model with their counterparts in a quantized form of it, through the renaming
/// that QDQ and QOperator rewriting does (QuantKit's and ONNX Runtime's naming alike).
public enum TensorMatcher {
    /// Suffixes of an 8-bit tensor written by an integer operator (QuantKit / ONNX Runtime QOperator).
    static let integerSuffixes = ["_quantized", "_QuantizeLinear_Output"]

    /// One match per reference tensor (runtime inputs, then node outputs in graph order) that the quantized
    /// graph holds; preference: dequantized, integer, same name. Tensors with no counterpart are left out.
    public static func matches(reference: Graph, quantized: Graph) -> [TensorMatch] {
        var producer: [String: Node] = [:]
        var readers: [String: [Node]] = [:]
        for node in quantized.nodes {
            for output in node.outputs where !output.isEmpty { producer[output] = node }
            for input in node.inputs where !input.isEmpty { readers[input, default: []].append(node) }
        }
        var dequantizedOf: [String: String] = [:]
        for node in quantized.nodes where node.opType == "DequantizeLinear" {
            guard let input = node.inputs.first, let q = producer[input], q.opType == "QuantizeLinear",
                  let source = q.inputs.first, dequantizedOf[source] == nil else { continue }
            dequantizedOf[source] = node.outputs[0]
        }
        let available = Set(quantized.runtimeInputs.map(\.name)).union(producer.keys)
        let names = reference.runtimeInputs.map(\.name) + reference.nodes.flatMap(\.outputs).filter { !$0.isEmpty }
        return names.compactMap { name in
            if let dequantized = dequantizedOf[name] {
                return TensorMatch(reference: name, quantized: dequantized, kind: .dequantized)
            }
            for suffix in integerSuffixes {
                let candidate = name + suffix
                guard producer[candidate] != nil,
                      let (scale, zeroPoint) = parameters(of: candidate, base: name, in: quantized, readers: readers,
                                                          producer: producer) else { continue }
                return TensorMatch(reference: name, quantized: candidate, kind: .integer, scale: scale,
                                   zeroPoint: zeroPoint)
            }
            return available.contains(name) ? TensorMatch(reference: name, quantized: name, kind: .sameName) : nil
        }
    }

    /// Ops that move 8-bit values without changing them, so their input and output share one scale.
    static let scaleSharingOps: Set<String> = ["MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze"]

    /// Scalar scale and zero point of the 8-bit tensor `name`: the initializers `base_scale` and
    /// `base_zero_point` when present, else the two inputs following it in a reader (QLinear* ops and
    /// DequantizeLinear take each 8-bit operand as a (tensor, scale, zero point) triple), else those of the
    /// tensor a scale-sharing op (MaxPool, Reshape, …) connects it to.
    static func parameters(of name: String, base: String, in graph: Graph, readers: [String: [Node]],
                           producer: [String: Node], visited: Set<String> = []) -> (Float, Float)? {
        func scalars(_ scale: String, _ zeroPoint: String) -> (Float, Float)? {
            guard let s = graph.initializers[scale], s.count == 1,
                  let z = graph.initializers[zeroPoint], z.count == 1 else { return nil }
            return (s.floatValues[0], z.floatValues[0])
        }
        if let found = scalars(base + "_scale", base + "_zero_point") { return found }
        for reader in readers[name] ?? [] {
            guard let position = reader.inputs.firstIndex(of: name), position + 2 < reader.inputs.count,
                  let found = scalars(reader.inputs[position + 1], reader.inputs[position + 2]) else { continue }
            return found
        }
        let seen = visited.union([name])
        let neighbours = [producer[name]].compactMap { $0 }.filter { scaleSharingOps.contains($0.opType) }
            .compactMap(\.inputs.first)
            + (readers[name] ?? []).filter { scaleSharingOps.contains($0.opType) }.compactMap(\.outputs.first)
        for next in neighbours where !seen.contains(next) {
            let nextBase = integerSuffixes.first { next.hasSuffix($0) }.map { String(next.dropLast($0.count)) } ?? next
            if let found = parameters(of: next, base: nextBase, in: graph, readers: readers, producer: producer,
                                      visited: seen) {
                return found
            }
        }
        return nil
    }
}
