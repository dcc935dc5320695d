import QKGraph
import QKTensor

/// Lookups the integer fusion pass needs: who produces and who reads each value, which values are constants,
/// and the quantization parameters a DequantizeLinear or QuantizeLinear node uses.
struct QuantizedGraphIndex {
    let graph: Graph
    private let producers: [String: Int]
    private let readers: [String: [Int]]
    let graphOutputs: Set<String>
    private let graphInputs: Set<String>

    init(_ graph: Graph) {
        self.graph = graph
        var producers: [String: Int] = [:], readers: [String: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producers[output] = index }
            for input in Set(node.inputs) where !input.isEmpty { readers[input, default: []].append(index) }
        }
        self.producers = producers
        self.readers = readers
        graphOutputs = Set(graph.outputs.map(\.name))
        graphInputs = Set(graph.inputs.map(\.name))
    }

    /// The initializer `name` when it is a true constant (not also a graph input a caller may override).
    func constant(_ name: String) -> Tensor? {
        guard !name.isEmpty, !graphInputs.contains(name) else { return nil }
        return graph.initializers[name]
    }

    /// The node producing `value`, if any.
    func producer(of value: String) -> (index: Int, node: Node)? {
        producers[value].map { ($0, graph.nodes[$0]) }
    }

    /// Indices of the nodes reading `value`.
    func readers(of value: String) -> [Int] { readers[value] ?? [] }

    /// The only node reading `value` when exactly one node reads it and it is not a graph output.
    func soleReader(of value: String) -> (index: Int, node: Node)? {
        let found = readers(of: value)
        guard found.count == 1, !graphOutputs.contains(value) else { return nil }
        return (found[0], graph.nodes[found[0]])
    }

    /// The DequantizeLinear node producing `value`, if that is its producer.
    func dequantizer(of value: String) -> Node? {
        guard let node = producer(of: value)?.node, node.opType == "DequantizeLinear", node.normalizedDomain == "" else {
            return nil
        }
        return node
    }

    /// The (data, scale, zero point) names of a Q/DQ node with constant parameters and an explicit zero point
    /// of int8/uint8; `perTensor` also requires a single scale. Returns the reason otherwise.
    func parameters(of node: Node, perTensor: Bool) -> Result<QuantizedValue, FusionRefusal> {
        guard node.inputs.count >= 3, !node.inputs[2].isEmpty else {
            return .failure(FusionRefusal("\(node.opType) '\(node.displayName)' has no zero point"))
        }
        guard let scale = constant(node.inputs[1]), let zero = constant(node.inputs[2]) else {
            return .failure(FusionRefusal("\(node.opType) '\(node.displayName)' has scale or zero point computed at run time"))
        }
        guard zero.dtype == .uint8 || zero.dtype == .int8 else {
            return .failure(FusionRefusal("\(node.opType) '\(node.displayName)' has a \(zero.dtype) zero point (8-bit only)"))
        }
        guard (try? node.int("block_size", default: 0)) == 0 else {
            return .failure(FusionRefusal("\(node.opType) '\(node.displayName)' is blocked"))
        }
        if perTensor, scale.count != 1 || zero.count != 1 {
            return .failure(FusionRefusal("\(node.opType) '\(node.displayName)' is per-channel where per-tensor is needed"))
        }
        return .success(QuantizedValue(data: node.inputs[0], scale: node.inputs[1], zeroPoint: node.inputs[2],
                                       scaleValues: scale.floatValues, zeroPoints: int32Values(zero) ?? [], dtype: zero.dtype,
                                       axis: (try? node.int("axis", default: 1)) ?? 1))
    }
}

/// A quantized tensor as a DQ/Q node describes it: names of the 8-bit data, scale and zero point, and their values.
struct QuantizedValue {
    let data: String
    let scale: String
    let zeroPoint: String
    let scaleValues: [Float]
    let zeroPoints: [Int32]
    /// The 8-bit dtype (the zero point's).
    let dtype: DType
    let axis: Int

    /// The three names, in the order the QLinear ops take them.
    var triple: [String] { [data, scale, zeroPoint] }

    /// Same scale and zero point values (so requantizing from one to the other is the identity).
    func sameParameters(as other: QuantizedValue) -> Bool {
        scaleValues == other.scaleValues && zeroPoints == other.zeroPoints && dtype == other.dtype
    }
}

/// Why a quantized pattern was left unfused, for the bench diagnosis.
struct FusionRefusal: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
