import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// Where inference time goes: total kernel time per node and per op type over repeated runs.
public struct NodeProfile: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var name: String
        public var opType: String
        /// Mean milliseconds per run.
        public var milliseconds: Double
        /// Share of the summed kernel time, 0…1.
        public var share: Double
    }

    public var nodes: [Entry]
    public var opTypes: [Entry]
    public var runs: Int

    /// Runs `interpreter` `runs` times (after one warm-up) and sums kernel time per node.
    public init(_ interpreter: Interpreter, feeds: [String: Tensor], runs: Int = 10) throws {
        _ = try interpreter.run(feeds)
        var perNode: [String: (opType: String, seconds: Double)] = [:]
        var order: [String] = []
        for _ in 0..<max(1, runs) {
            _ = try interpreter.run(feeds, profile: { node, seconds in
                let key = node.displayName
                if perNode[key] == nil { order.append(key) }
                perNode[key, default: (node.opType, 0)].seconds += seconds
            })
        }
        let total = max(1e-12, perNode.values.reduce(0) { $0 + $1.seconds })
        let scale = 1000 / Double(max(1, runs))
        nodes = order.map { key in
            let value = perNode[key]!
            return Entry(name: key, opType: value.opType, milliseconds: value.seconds * scale, share: value.seconds / total)
        }.sorted { $0.milliseconds > $1.milliseconds }
        let byOp = Dictionary(grouping: nodes, by: \.opType)
        opTypes = byOp.map { op, entries in
            Entry(name: op, opType: op, milliseconds: entries.reduce(0) { $0 + $1.milliseconds },
                  share: entries.reduce(0) { $0 + $1.share })
        }.sorted { $0.milliseconds > $1.milliseconds }
        self.runs = runs
    }

    /// A table of op types and the `top` slowest nodes.
    public func text(top: Int = 10) -> String {
        func row(_ e: Entry, _ label: String) -> String {
            "  " + label.padding(toWidth: 44) + String(format: " %9.4f ms  %5.1f %%", e.milliseconds, e.share * 100)
        }
        return (["time per op type:"] + opTypes.map { row($0, $0.name) }
            + ["slowest nodes:"] + nodes.prefix(top).map { row($0, "\($0.name) (\($0.opType))") }).joined(separator: "\n")
    }
}
