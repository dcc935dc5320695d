import QKGraph
import QKTensor

/// Whether a model's graph is per-sample along axis 0: running it on rows [a, b) of every batched input gives
/// rows [a, b) of every output, so a batch may be split into slices that run the whole graph independently.
///
/// Decided once at load from the graph alone, by following one fact per value from the inputs to the outputs:
/// - *batched*: axis 0 is the batch and row i depends only on row i of the batched inputs;
/// - *invariant*: the same in every slice (initializers, constants, values computed from them and from non-batch
///   dimensions);
/// - *shape data*: a small integer vector (or scalar) from `Shape` of a batched value, entry by entry either the
///   batch size or an invariant number, so that `Shape → Gather → Unsqueeze → Concat → Reshape` can be followed.
///
/// Every op that reads a batched value must be in an allowlist with its per-sample condition (convolution and
/// pooling on the batched input, elementwise ops whose invariant operands do not reach axis 0 after broadcasting,
/// Gemm with A batched and transA = 0, MatMul with the batch in A's leading dims, normalizations, reductions,
/// Softmax, Concat, Split, Slice over axes ≠ 0, Transpose with perm[0] = 0, Flatten with axis 1, Reshape whose
/// output dim 0 is provably the input's dim 0, Q/DQ with per-axis parameters on an axis ≠ 0, BatchNormalization
/// in inference mode). Anything else that reads a batched value or the batch size refuses slicing.
public struct BatchSlicing: Sendable {
    /// The graph inputs whose dim 0 is the batch (all runtime inputs), empty when the graph cannot be sliced.
    public let batchedInputs: [String]
    /// Why the graph cannot be sliced (nil when it can).
    public let refusal: String?

    public var isSliceable: Bool { refusal == nil }

    /// Analyses `model`'s graph (the graph as loaded, before fusions, which compute the same functions).
    public init(model: Model) {
        do {
            var analysis = try BatchSliceAnalysis(model: model)
            batchedInputs = try analysis.batchedInputs()
            refusal = nil
        } catch let refused as BatchSliceRefusal {
            batchedInputs = []
            refusal = refused.reason
        } catch {
            batchedInputs = []
            refusal = "\(error)"
        }
    }
}

/// Why slicing was refused, naming the node or value.
struct BatchSliceRefusal: Error {
    let reason: String
}

/// The fact known about one value (see ``BatchSlicing``).
enum BatchFact: Equatable {
    case invariant
    case batched
    /// Integer data from `Shape` of a batched value; `scalar` for a rank-0 tensor.
    case shapeData([ShapeEntry], scalar: Bool)

    /// True when the value is the same in every slice.
    var isInvariant: Bool {
        switch self {
        case .invariant: true
        case .batched: false
        case .shapeData(let entries, _): !entries.contains(.batch)
        }
    }
}

/// One element of shape data: the batch size, or a number that is the same in every slice (nil: not known here).
enum ShapeEntry: Equatable {
    case batch
    case fixed(Int?)
}

/// The walk over the graph behind ``BatchSlicing``.
struct BatchSliceAnalysis {
    let model: Model
    let inferred: [String: ValueInfo]
    /// Initializers no feed replaces, and Constant node outputs.
    var constants: [String: Tensor] = [:]
    var facts: [String: BatchFact] = [:]

    init(model: Model) throws {
        self.model = model
        do {
            inferred = try ShapeInference.infer(model)
        } catch {
            throw BatchSliceRefusal(reason: "shape inference failed: \(error)")
        }
    }

    /// Walks the graph; returns the batched inputs or throws the refusal.
    mutating func batchedInputs() throws -> [String] {
        let graph = model.graph
        let runtime = graph.runtimeInputs
        guard !runtime.isEmpty else { throw BatchSliceRefusal(reason: "the graph has no runtime inputs") }
        var symbol: String?
        for input in runtime {
            guard let first = input.shape?.first, case .symbolic(let name) = first, symbol == nil || symbol == name
            else {
                throw BatchSliceRefusal(reason: "input '\(input.name)' has no dim 0 shared as the batch with the other inputs")
            }
            symbol = name
            facts[input.name] = .batched
        }
        for input in runtime where input.shape?.dropFirst().contains(.symbolic(symbol ?? "")) ?? false {
            throw BatchSliceRefusal(reason: "input '\(input.name)' uses the batch size for another dim too")
        }
        let overridable = Set(graph.inputs.map(\.name))
        for (name, tensor) in graph.initializers {
            facts[name] = .invariant
            if !overridable.contains(name) { constants[name] = tensor }
        }
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let outputs = try outputFacts(node)
            for (position, name) in node.outputs.enumerated() where !name.isEmpty {
                facts[name] = position < outputs.count ? outputs[position] : .invariant
            }
        }
        for output in graph.outputs where facts[output.name] != .batched {
            throw BatchSliceRefusal(reason: "output '\(output.name)' does not have the batch as dim 0")
        }
        return runtime.map(\.name)
    }

    /// The facts of `node`'s outputs, or a refusal.
    mutating func outputFacts(_ node: Node) throws -> [BatchFact] {
        let inputs = node.inputs.map { $0.isEmpty ? nil : facts[$0] ?? .invariant }
        let hasSubgraph = node.attributes.values.contains {
            switch $0 {
            case .graph, .graphs: true
            default: false
            }
        }
        // A subgraph may read outer values that are not node inputs: nothing is known about what it computes.
        if hasSubgraph { throw refuse(node, "has a subgraph") }
        if node.opType == "Constant", node.normalizedDomain.isEmpty {
            if let value = try? node.tensor("value"), let output = node.outputs.first { constants[output] = value }
            return [.invariant]
        }
        if let tracked = try shapeDataFacts(node, inputs) { return [tracked] }
        if inputs.allSatisfy({ $0?.isInvariant ?? true }) {
            guard !nondeterministicOps.contains(node.opType) else {
                throw refuse(node, "draws random numbers")
            }
            return [BatchFact](repeating: .invariant, count: node.outputs.count)
        }
        if inputs.contains(where: { if case .shapeData = $0, $0?.isInvariant == false { true } else { false } }) {
            guard node.opType == "Reshape", inputs.first == .batched else {
                throw refuse(node, "uses the batch size as data")
            }
        }
        guard node.normalizedDomain.isEmpty else { throw refuse(node, "is not known to be per-sample") }
        try checkPerSample(node, inputs)
        return [BatchFact](repeating: .batched, count: node.outputs.count)
    }

    // MARK: - Shared helpers for the rules

    func refuse(_ node: Node, _ reason: String) -> BatchSliceRefusal {
        BatchSliceRefusal(reason: "node '\(node.displayName)' (\(node.opType)) \(reason)")
    }

    /// The rank of a value from shape inference (nil when unknown).
    func rank(_ name: String) -> Int? { inferred[name]?.shape?.count }

    /// The known size of a value's dim 0 (nil when unknown or rank 0).
    func firstDim(_ name: String) -> Int? { inferred[name]?.shape?.first?.value }

    /// The rank of `node`'s input `index`; a refusal when unknown.
    func knownRank(_ node: Node, _ index: Int) throws -> Int {
        guard index < node.inputs.count, let rank = rank(node.inputs[index]) else {
            throw refuse(node, "has an input of unknown rank")
        }
        return rank
    }

    /// The integers of a constant input (nil when the input is omitted; a refusal when it is not constant).
    func constantInts(_ node: Node, _ index: Int) throws -> [Int]? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        guard let tensor = constants[node.inputs[index]], let ints = integers(of: tensor) else {
            throw refuse(node, "has a non-constant input '\(node.inputs[index])' where a constant is needed")
        }
        return ints
    }

    /// Axes from the attribute `axes` or, in newer opsets, from constant input `index` (nil when neither).
    func axes(_ node: Node, input index: Int) throws -> [Int]? {
        if let attribute = try node.ints("axes") { return attribute }
        return try constantInts(node, index)
    }

    /// `axis` in 0..<rank (negative counts from the end); a refusal when outside.
    func normalized(_ axis: Int, rank: Int, _ node: Node) throws -> Int {
        let value = axis < 0 ? axis + rank : axis
        guard value >= 0, value < max(rank, 1) else { throw refuse(node, "has axis \(axis) outside rank \(rank)") }
        return value
    }

    /// Requires inputs other than `batchedPositions` to be invariant.
    func requireInvariant(_ node: Node, _ inputs: [BatchFact?], except batchedPositions: Set<Int>) throws {
        for (index, fact) in inputs.enumerated() where !batchedPositions.contains(index) {
            if let fact, !fact.isInvariant {
                throw refuse(node, "reads the batched value '\(node.inputs[index])' as input #\(index)")
            }
        }
    }
}

/// Ops whose result is not a function of their inputs: run once per slice they would differ from one run.
let nondeterministicOps: Set<String> = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                                        "Multinomial", "Bernoulli"]

/// The elements of an integer tensor as `Int` (nil for other dtypes).
func integers(of tensor: Tensor) -> [Int]? {
    if let values = tensor.values(as: Int64.self) { return values.map { Int($0) } }
    if let values = tensor.values(as: Int32.self) { return values.map { Int($0) } }
    return nil
}
