/// Producer/consumer queries and topological ordering.
extension Graph {
    /// Index of the node producing each value name.
    public var producerIndex: [String: Int] {
        var index: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { index[output] = i }
        }
        return index
    }

    /// Indices of the nodes reading each value name (a node reading a value twice appears once).
    public var consumerIndex: [String: [Int]] {
        var index: [String: [Int]] = [:]
        for (i, node) in nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty { index[input, default: []].append(i) }
        }
        return index
    }

    /// Names available before any node runs: graph inputs and initializers.
    public var sourceValueNames: Set<String> {
        Set(inputs.map(\.name)).union(initializers.keys)
    }

    /// Node indices in an order where every node comes after the producers of its inputs (Kahn's algorithm;
    /// ties keep the file order, so an already sorted graph keeps its order).
    /// Throws ``GraphError/cycle(nodes:)`` when no such order exists. Inputs nobody produces are ignored here;
    /// ``verify()`` reports them.
    public func topologicalOrder() throws -> [Int] {
        let producers = producerIndex
        var pending = [Int](repeating: 0, count: nodes.count)
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() {
            let sources = Set(node.inputs.compactMap { producers[$0] }).subtracting([i])
            pending[i] = sources.count
            for source in sources { dependents[source].append(i) }
            if node.inputs.contains(where: { producers[$0] == i }) {
                throw GraphError.cycle(nodes: [node.displayName])
            }
        }
        var ready = MinHeap((0..<nodes.count).filter { pending[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.pop() {
            order.append(next)
            for dependent in dependents[next] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.push(dependent) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = (0..<nodes.count).filter { pending[$0] > 0 }.map { nodes[$0].displayName }
            throw GraphError.cycle(nodes: stuck)
        }
        return order
    }

    /// The graph with nodes in topological order.
    public func topologicallySorted() throws -> Graph {
        var sorted = self
        sorted.nodes = try topologicalOrder().map { nodes[$0] }
        return sorted
    }
}

/// A binary min-heap of node indices, so ready nodes run in file order.
private struct MinHeap {
    private var items: [Int] = []

    init(_ values: [Int]) { values.forEach { push($0) } }

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
