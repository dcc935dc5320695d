import QKGraph
import QKTensor

/// Finding the chains of ``LookupTableFusion``.
extension LookupTableFusion {
    /// The largest column count n a table is built for (n × 256 bytes).
    static let maximumColumns = 1 << 14

    /// The chain starting at `entry`, or nil when there is none worth a table (it must remove at least two nodes
    /// that compute something, as one table lookup per element costs about what one SIMD elementwise node does).
    static func chain(from entry: String, _ index: QuantizedGraphIndex) -> Chain? {
        guard !entry.isEmpty, index.constant(entry) == nil else { return nil }
        var members = Set<Int>()
        var constantMembers = Set<Int>()
        var computed: Set<String> = [entry]
        var columns = 1
        var queue = [entry]
        while let value = queue.popLast() {
            for reader in index.readers(of: value) where !members.contains(reader) {
                let node = index.graph.nodes[reader]
                guard let admitted = admit(node, computed: computed, columns: columns, index) else { continue }
                members.insert(reader)
                members.formUnion(admitted.constantProducers)
                constantMembers.formUnion(admitted.constantProducers)
                columns = admitted.columns
                for output in node.outputs where !output.isEmpty && !computed.contains(output) {
                    computed.insert(output)
                    queue.append(output)
                }
            }
        }
        guard let exit = cut(&members, constant: constantMembers, index) else { return nil }
        let readers = members.filter { index.graph.nodes[$0].inputs.contains(entry) }
        guard let entryType = entryType(readers.map { index.graph.nodes[$0] }, entry, index) else { return nil }
        let removed = members.filter { member in
            !constantMembers.contains(member) || index.graph.nodes[member].outputs.allSatisfy { output in
                !index.graphOutputs.contains(output) && index.readers(of: output).allSatisfy(members.contains)
            }
        }
        let computing = removed.filter { !constantMembers.contains($0) && index.graph.nodes[$0].opType != "Identity" }
        guard computing.count >= 2 else { return nil }
        let nodes = members.sorted().map { index.graph.nodes[$0] }
        var constants: [String: Tensor] = [:]
        for name in nodes.flatMap(\.inputs) { if let tensor = index.constant(name) { constants[name] = tensor } }
        return Chain(entry: entry, entryType: entryType, members: members.sorted(), removed: Set(removed), exit: exit,
                     columns: columns, nodes: nodes, constants: constants)
    }

    /// When `node` can join a chain that has computed `computed`: the column count with its constants and the
    /// constant-only producers (DQ of a constant bias, …) it brings along; nil otherwise.
    private static func admit(_ node: Node, computed: Set<String>, columns: Int,
                              _ index: QuantizedGraphIndex) -> (columns: Int, constantProducers: [Int])? {
        guard isElementwise(node), node.inputs.contains(where: computed.contains) else { return nil }
        var columns = columns
        var producers: [Int] = []
        for (slot, name) in node.inputs.enumerated() where !name.isEmpty && !computed.contains(name) {
            if let constant = index.constant(name) {
                guard let widened = fit(constant, node: node, slot: slot, columns: columns) else { return nil }
                columns = widened
            } else if let producer = index.producer(of: name), isElementwise(producer.node) {
                for (innerSlot, inner) in producer.node.inputs.enumerated() where !inner.isEmpty {
                    guard let constant = index.constant(inner),
                          let widened = fit(constant, node: producer.node, slot: innerSlot, columns: columns) else { return nil }
                    columns = widened
                }
                producers.append(producer.index)
            } else {
                return nil
            }
        }
        return (columns, producers)
    }

    /// The column count after admitting `constant` as input `slot` of `node`: scales and zero points must be
    /// single values, other constants scalars or vectors of 1 or n values (which fixes n when it was 1).
    private static func fit(_ constant: Tensor, node: Node, slot: Int, columns: Int) -> Int? {
        if perTensorInputs[node.opType]?.contains(slot) == true { return constant.count == 1 ? columns : nil }
        guard constant.rank <= 1 else { return nil }
        if constant.count == 1 || constant.count == columns { return columns }
        return columns == 1 && constant.count <= maximumColumns && constant.count > 0 ? constant.count : nil
    }

    /// True for the ops a chain may hold, with no attribute that could make them look beyond one element.
    private static func isElementwise(_ node: Node) -> Bool {
        switch node.normalizedDomain {
        case "":
            guard elementwiseOps.contains(node.opType) else { return false }
            let allowed: Set<String> = ["QuantizeLinear", "DequantizeLinear"].contains(node.opType)
                ? ["axis", "saturate", "output_dtype"] : []
            guard node.attributes.keys.allSatisfy(allowed.contains) else { return false }
            return (try? node.int("block_size", default: 0)) == 0
        case "com.microsoft": return microsoftOps.contains(node.opType) && node.attributes.isEmpty
        default: return false
        }
    }

    /// Cuts `members` back until exactly one value leaves the chain and an 8-bit op writes it; that value, or nil.
    private static func cut(_ members: inout Set<Int>, constant: Set<Int>, _ index: QuantizedGraphIndex) -> String? {
        while true {
            var exits: [(value: String, producer: Int)] = []
            for member in members.sorted() where !constant.contains(member) {
                for output in index.graph.nodes[member].outputs where !output.isEmpty {
                    if index.graphOutputs.contains(output) || index.readers(of: output).contains(where: { !members.contains($0) }) {
                        exits.append((output, member))
                    }
                }
            }
            let isEightBit = { (member: Int) in eightBitOps.contains(index.graph.nodes[member].opType) }
            if exits.count == 1, isEightBit(exits[0].producer) { return exits[0].value }
            guard let bad = exits.first(where: { !isEightBit($0.producer) }) else { return nil }
            var dropped: Set<Int> = [bad.producer]
            var growing = true
            while growing {
                growing = false
                for member in members where !dropped.contains(member) {
                    let node = index.graph.nodes[member]
                    if node.inputs.contains(where: { input in dropped.contains { index.graph.nodes[$0].outputs.contains(input) } }) {
                        dropped.insert(member)
                        growing = true
                    }
                }
            }
            members.subtract(dropped)
            let kept = members.filter { !constant.contains($0) }
            guard !kept.isEmpty else { return nil }
            let read = Set(kept.flatMap { index.graph.nodes[$0].inputs })
            members = members.filter { !constant.contains($0) || index.graph.nodes[$0].outputs.contains(where: read.contains) }
        }
    }

    /// The 8-bit type the chain's readers of `entry` expect (their zero point's type, uint8 when omitted); nil
    /// when a reader is not a DequantizeLinear/QLinearAdd/QLinearMul data input or they disagree.
    private static func entryType(_ readers: [Node], _ entry: String, _ index: QuantizedGraphIndex) -> DType? {
        var types = Set<DType>()
        for node in readers {
            let zeroSlots: [Int]
            switch node.opType {
            case "DequantizeLinear": zeroSlots = node.inputs.first == entry ? [2] : []
            case "QLinearAdd", "QLinearMul":
                zeroSlots = node.inputs.enumerated().compactMap { $1 == entry ? [0: 2, 3: 5][$0] : nil }
            default: return nil
            }
            guard !zeroSlots.isEmpty, zeroSlots.count == node.inputs.filter({ $0 == entry }).count else { return nil }
            for slot in zeroSlots {
                if slot < node.inputs.count, !node.inputs[slot].isEmpty {
                    guard let zero = index.constant(node.inputs[slot]) else { return nil }
                    types.insert(zero.dtype)
                } else {
                    types.insert(.uint8)
                }
            }
        }
        guard types.count == 1, let type = types.first, type == .uint8 || type == .int8 else { return nil }
        return type
    }
}
