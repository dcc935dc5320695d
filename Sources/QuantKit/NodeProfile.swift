import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// Where inference time goes: kernel time per node (the median over repeated runs, so that a run preempted on a
/// busy machine does not dominate) and per op type (the sum of its nodes' medians).
public struct NodeProfile: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var name: String
        public var opType: String
        /// Median milliseconds per run (nodes); the sum of the nodes' medians (op types).
        public var milliseconds: Double
        /// Share of the summed kernel time, 0…1.
        public var share: Double
    }

    public var nodes: [Entry]
    public var opTypes: [Entry]
    public var runs: Int

    /// Runs `interpreter` `runs` times (after one warm-up) and takes each node's median kernel time.
    public init(_ interpreter: Interpreter, feeds: [String: Tensor], runs: Int = 10) throws {
        _ = try interpreter.run(feeds)
        var samples: [String: (opType: String, seconds: [Double])] = [:]
        var order: [String] = []
        for _ in 0..<max(1, runs) {
            _ = try interpreter.run(feeds, profile: { node, seconds in
                let key = node.displayName
                if samples[key] == nil { order.append(key) }
                samples[key, default: (node.opType, [])].seconds.append(seconds)
            })
        }
        let medians = samples.mapValues { entry in (entry.opType, entry.seconds.sorted()[entry.seconds.count / 2]) }
        let total = max(1e-12, medians.values.reduce(0) { $0 + $1.1 })
        nodes = order.map { key in
            let (opType, seconds) = medians[key]!
            return Entry(name: key, opType: opType, milliseconds: seconds * 1000, share: seconds / total)
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
