/// Structural checks run before a graph is executed or written.
extension Graph {
    /// Checks that every node input is produced (by a node, a graph input or an initializer), no value is
    /// produced twice, graph outputs exist and there is no cycle. Values of enclosing graphs that a subgraph
    /// reads are passed in `outerScope`.
    ///
    /// Throws the first problem found as a ``GraphError`` naming the node and value.
    public func verify(outerScope: Set<String> = []) throws {
        var producedBy: [String: String] = [:]
        for name in sourceValueNames { producedBy[name] = "graph input or initializer" }
        for input in inputs where initializers[input.name] != nil {
            // An initializer listed as a graph input (a default value) is a single source, not a duplicate.
            producedBy[input.name] = "graph input or initializer"
        }
        for node in nodes {
            for output in node.outputs where !output.isEmpty {
                if let first = producedBy[output] {
                    throw GraphError.duplicateOutput(name: output, nodes: [first, node.displayName])
                }
                producedBy[output] = node.displayName
            }
        }
        let available = outerScope.union(producedBy.keys)
        for node in nodes {
            for input in node.inputs where !input.isEmpty && !available.contains(input) {
                throw GraphError.danglingInput(node: node.displayName, input: input)
            }
        }
        for output in outputs where !available.contains(output.name) {
            throw GraphError.missingGraphOutput(name: output.name)
        }
        _ = try topologicalOrder()
    }
}
