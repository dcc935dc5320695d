/// What one graph pass changed, for the CLI summary (`qkit` prints ``description``).
public struct PassReport: Sendable, Equatable, CustomStringConvertible {
    /// The pass's name, e.g. "DeadNodeElimination".
    public let pass: String
    /// Nodes deleted outright (unreachable from any graph output).
    public var nodesRemoved: Int
    /// Initializers deleted because no remaining node read them.
    public var initializersRemoved: Int
    /// Nodes folded into their producer (BatchNormalization into Conv).
    public var nodesFolded: Int
    /// Producer + activation pairs replaced by one fused node.
    public var nodesFused: Int

    public init(pass: String, nodesRemoved: Int = 0, initializersRemoved: Int = 0, nodesFolded: Int = 0,
                nodesFused: Int = 0) {
        self.pass = pass
        self.nodesRemoved = nodesRemoved
        self.initializersRemoved = initializersRemoved
        self.nodesFolded = nodesFolded
        self.nodesFused = nodesFused
    }

    /// True when the pass changed the graph.
    public var changed: Bool { nodesRemoved + initializersRemoved + nodesFolded + nodesFused > 0 }

    /// One line, e.g. `ConvBatchNormFolding: 2 nodes folded, 6 initializers removed`.
    public var description: String {
        let counts = [(nodesRemoved, "node", "removed"), (nodesFolded, "node", "folded"), (nodesFused, "node pair", "fused"),
                      (initializersRemoved, "initializer", "removed")]
        let parts = counts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s") \($0.2)" }
        return "\(pass): " + (parts.isEmpty ? "no change" : parts.joined(separator: ", "))
    }
}
