import QKGraph
import QKTensor

/// Replaces a chain of elementwise nodes that turns one 8-bit tensor into another through per-column constants
/// (a quantized bias add, GELU written as DQ → Add → Div → Erf → Q → QLinearAdd → QLinearMul, …) by one
/// `IntegerLookup` node: every output byte is a function of one input byte and its column j (the position along
/// the last axis), so the chain is evaluated once, at load, on all 256 input values of every column, and a run
/// only looks the bytes up:
///
///     y[…, j] = table[j, x[…, j] − lowest]        (table: n × 256, lowest = 0 for uint8, −128 for int8)
///
/// The table is computed by running the chain's own nodes with the runtime's kernels on a 256 × n tensor, so
/// each entry is the byte the chain itself writes for that input (every kernel in ``elementwiseOps`` computes an
/// element from the same-position elements only, the same way wherever it sits in the tensor).
///
/// A chain starts at a non-constant value V read by DequantizeLinear, QLinearAdd or QLinearMul, takes nodes of
/// ``elementwiseOps`` whose inputs are V, values of the chain or constants (scalars, or vectors of 1 or n values;
/// Q/DQ parameters per tensor), and must end in a single 8-bit value that the rest of the graph reads (a chain
/// whose float values are read outside is cut back to its last 8-bit value).
enum LookupTableFusion {
    static let opType = "IntegerLookup"

    /// Ops whose every output element depends only on the input elements at its position (with broadcasting).
    static let elementwiseOps: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Erf", "Relu", "Tanh", "Sigmoid", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal",
        "Identity", "QuantizeLinear", "DequantizeLinear",
    ]
    static let microsoftOps: Set<String> = ["QLinearAdd", "QLinearMul"]
    /// Ops that write an 8-bit output (the only exits a table can produce).
    static let eightBitOps: Set<String> = ["QuantizeLinear", "QLinearAdd", "QLinearMul"]
    /// Inputs that must hold one value (scales and zero points), by op.
    static let perTensorInputs: [String: Set<Int>] = [
        "QuantizeLinear": [1, 2], "DequantizeLinear": [1, 2], "QLinearAdd": [1, 2, 4, 5, 6, 7],
        "QLinearMul": [1, 2, 4, 5, 6, 7],
    ]

    /// `graph` with every chain it finds replaced, and one report entry per lookup node.
    static func apply(to graph: Graph, model: Model) -> (Graph, [IntegerFusionReport.Entry]) {
        var graph = graph
        var entries: [IntegerFusionReport.Entry] = []
        var tried = Set<String>()
        scan: while true {
            let index = QuantizedGraphIndex(graph)
            for value in graph.inputs.map(\.name) + graph.nodes.flatMap(\.outputs) where !tried.contains(value) {
                tried.insert(value)
                guard let found = chain(from: value, index), let table = found.table(model: model) else { continue }
                let tableName = "\(found.exit)/lookup_table"
                graph.initializers[tableName] = table
                let lookup = Node(name: "\(found.exit)/lookup", opType: opType, domain: IntegerFusion.domain,
                                  inputs: [found.entry, tableName], outputs: [found.exit],
                                  attributes: ["signed_input": .int(found.entryType == .int8 ? 1 : 0)])
                let exitProducer = index.producer(of: found.exit)!.index
                var nodes: [Node] = []
                for (position, node) in graph.nodes.enumerated() {
                    if position == exitProducer { nodes.append(lookup) }
                    if !found.removed.contains(position) { nodes.append(node) }
                }
                graph.nodes = nodes
                entries.append(.init(node: lookup.name, opType: opType,
                                     detail: "\(found.removed.count) nodes → \(opType)"))
                continue scan
            }
            return (graph, entries)
        }
    }

    /// One chain: its input value, its nodes (indices), the nodes it removes (members whose outputs nothing
    /// outside reads), its output value and the column count n.
    struct Chain {
        let entry: String
        let entryType: DType
        let members: [Int]
        let removed: Set<Int>
        let exit: String
        let columns: Int
        let nodes: [Node]
        let constants: [String: Tensor]

        /// The n × 256 table, or nil when evaluating the chain fails or does not map 256 × n bytes to 256 × n bytes.
        func table(model: Model) -> Tensor? {
            let signed = entryType == .int8
            let feed: Tensor
            if signed {
                feed = Tensor(shape: [256, columns], values: (0..<256 * columns).map { Int8(truncatingIfNeeded: $0 / columns - 128) })
            } else {
                feed = Tensor(shape: [256, columns], values: (0..<256 * columns).map { UInt8(truncatingIfNeeded: $0 / columns) })
            }
            var sub = model
            sub.graph = Graph(name: "lookup", nodes: nodes, inputs: [ValueInfo(name: entry, dtype: entryType, shape: nil)],
                              outputs: [ValueInfo(name: exit, dtype: nil, shape: nil)], initializers: constants)
            guard let interpreter = try? Interpreter(model: sub, threads: 1, integerExecution: false),
                  let out = try? interpreter.run([entry: feed])[exit], out.shape == [256, columns] else { return nil }
            func transposed<T: TensorScalar>(_ v: [T]) -> Tensor {
                Tensor(shape: [columns, 256], values: (0..<256 * columns).map { v[($0 % 256) * columns + $0 / 256] })
            }
            switch out.storage {
            case .uint8(let v): return transposed(v)
            case .int8(let v): return transposed(v)
            default: return nil
            }
        }
    }
}
