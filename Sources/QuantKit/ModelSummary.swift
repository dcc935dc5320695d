import Foundation
import QKGraph
import QKTensor

/// What `qkit inspect` shows about a model: its interface, op histogram, parameter count and weight sizes.
public struct ModelSummary: Codable, Sendable, Equatable {
    /// A graph input or output.
    public struct Value: Codable, Sendable, Equatable {
        public var name: String
        /// Element type, or "unknown" when not a supported tensor type.
        public var dtype: String
        /// Dimensions: numbers, symbolic names, or "?".
        public var shape: [String]?
    }

    /// Bytes and element count of the initializers of one dtype.
    public struct DTypeSize: Codable, Sendable, Equatable {
        public var dtype: String
        public var tensors: Int
        public var elements: Int
        public var bytes: Int
    }

    public var inputs: [Value]
    public var outputs: [Value]
    /// Op type (prefixed with its domain when not the default one) → node count.
    public var ops: [String: Int]
    public var nodes: Int
    /// Total elements of all initializers (the model's parameters).
    public var parameters: Int
    public var sizeByDtype: [DTypeSize]
    /// Domain ("ai.onnx" for the default one) → imported version.
    public var opsets: [String: Int64]
    public var irVersion: Int64
    public var producer: String

    public init(model: Model) {
        let graph = model.graph
        func value(_ info: ValueInfo) -> Value {
            Value(name: info.name, dtype: info.dtype?.rawValue ?? "unknown", shape: info.shape?.map(\.description))
        }
        inputs = graph.runtimeInputs.map(value)
        outputs = graph.outputs.map(value)
        ops = graph.nodes.reduce(into: [:]) { counts, node in
            let key = node.normalizedDomain.isEmpty ? node.opType : "\(node.normalizedDomain).\(node.opType)"
            counts[key, default: 0] += 1
        }
        nodes = graph.nodes.count
        parameters = graph.initializers.values.reduce(0) { $0 + $1.count }
        let byDtype = Dictionary(grouping: graph.initializers.values, by: \.dtype)
        sizeByDtype = byDtype.keys.sorted { $0.rawValue < $1.rawValue }.map { dtype in
            let tensors = byDtype[dtype] ?? []
            let elements = tensors.reduce(0) { $0 + $1.count }
            return DTypeSize(dtype: dtype.rawValue, tensors: tensors.count, elements: elements,
                             bytes: dtype.storedByteCount(elements))
        }
        opsets = Dictionary(model.opsetImports.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) },
                            uniquingKeysWith: max)
        irVersion = model.irVersion
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A human-readable multi-line description.
    public var text: String {
        var lines: [String] = []
        lines.append("producer: \(producer.isEmpty ? "-" : producer), IR version \(irVersion), opsets: "
            + opsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("inputs:")
        lines += inputs.map { "  \($0.name): \($0.dtype)[\(($0.shape ?? ["…"]).joined(separator: ", "))]" }
        lines.append("outputs:")
        lines += outputs.map { "  \($0.name): \($0.dtype)[\(($0.shape ?? ["…"]).joined(separator: ", "))]" }
        lines.append("nodes: \(nodes)")
        for (op, count) in ops.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            lines.append("  \(op.padding(toWidth: 28)) \(count)")
        }
        lines.append("parameters: \(parameters)")
        for size in sizeByDtype {
            lines.append("  \(size.dtype.padding(toWidth: 10)) \(size.tensors) tensors, \(size.elements) elements, "
                + formatBytes(size.bytes))
        }
        return lines.joined(separator: "\n")
    }
}

/// "1.5 KiB"-style byte counts.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

extension String {
    func padding(toWidth width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
