import QKGraph
import QKTensor

/// Nodes in execution order with their prepared kernels, everything a run needs worked out once at load:
/// every value a run computes or may be fed lives in a numbered slot, constant inputs are bound into the steps,
/// and each step knows which slots it reads last.
final class ExecutionPlan {
    /// Where a node input comes from.
    enum Source {
        case omitted
        /// An initializer that no feed can replace.
        case constant(Tensor)
        case slot(Int)
    }

    /// One node ready to run. A class, so that a run refers to its steps without copying their fields.
    final class Step {
        /// The node, shared with every ``KernelContext`` built for it.
        let bound: BoundNode
        let kernel: OpKernel
        let opset: Int
        let inputs: [Source]
        /// Value slots of the node's outputs (nil for an omitted one).
        let outputSlots: [Int?]
        /// Slots whose last reader this node is: freed after it runs unless a run asks for them.
        let lastReads: [Int]
        /// Position of the node's last non-empty output (−1 when none): the kernel must produce at least that many.
        let lastRequiredOutput: Int

        var node: Node { bound.node }

        init(node: Node, kernel: @escaping OpKernel, opset: Int, inputs: [Source], outputSlots: [Int?], lastReads: [Int]) {
            bound = BoundNode(node)
            self.kernel = kernel
            self.opset = opset
            self.inputs = inputs
            self.outputSlots = outputSlots
            self.lastReads = lastReads
            lastRequiredOutput = node.outputs.lastIndex(where: { !$0.isEmpty }) ?? -1
        }
    }

    /// One graph input as a run checks it.
    struct DeclaredInput {
        let info: ValueInfo
        /// Known dims by position (nil for a symbolic or unknown one); nil when the rank is unknown.
        let dims: [Int?]?
    }

    let graph: Graph
    let steps: [Step]
    /// The slot of every value that is fed or computed.
    let slots: [String: Int]
    /// Initializers that no feed can replace, by name (bound into the steps, looked up for requested outputs).
    let constants: [String: Tensor]
    /// Slot contents before any feed: initializers that are also graph inputs (feeds may replace them).
    let initialValues: [Tensor?]
    /// Inputs a run must feed, and the names of all graph inputs (the only names a feed may use).
    let requiredInputs: [DeclaredInput]
    let inputNames: Set<String>
    /// The graph outputs and, for a run that asks for exactly those, the slots it keeps.
    let outputNames: [String]
    let outputKeep: [Bool]
    /// The most inputs any step has.
    let maxInputCount: Int
    /// The steps that depend only on shapes and constants (``ShapeValueCache`` reuses their outputs).
    let shapeDerivation: ShapeDerivation

    /// Orders `model`'s nodes, prepares their kernels, numbers the values and finds each value's last reader.
    init(_ model: Model) throws {
        let graph = model.graph
        let overridable = Set(graph.inputs.map(\.name))
        var constants: [String: Tensor] = [:]
        for (name, tensor) in graph.initializers where !overridable.contains(name) { constants[name] = tensor }
        var prepared: [(node: Node, kernel: OpKernel, opset: Int)] = []
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let opset = Int(model.opsetVersion(for: node.normalizedDomain) ?? 1)
            guard let kernel = try OpTable.preparedKernel(for: node, opset: opset, constant: { constants[$0] }) else {
                throw RuntimeError.unsupportedOp(opType: node.opType, domain: node.normalizedDomain, opset: opset,
                                                 node: node.displayName)
            }
            prepared.append((node, kernel, opset))
        }
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let index = slots[name] { return index }
            slots[name] = slots.count
            return slots.count - 1
        }
        for input in graph.inputs { _ = slot(input.name) }
        var lastReader: [String: Int] = [:]
        for (position, step) in prepared.enumerated() {
            for name in step.node.inputs where !name.isEmpty && constants[name] == nil { lastReader[name] = position }
        }
        var lastReads = [[Int]](repeating: [], count: prepared.count)
        for (name, position) in lastReader where graph.initializers[name] == nil {
            lastReads[position].append(slot(name))
        }
        steps = prepared.enumerated().map { position, step in
            Step(node: step.node, kernel: step.kernel, opset: step.opset,
                 inputs: step.node.inputs.map { name in
                     if name.isEmpty { return .omitted }
                     if let constant = constants[name] { return .constant(constant) }
                     return .slot(slot(name))
                 },
                 outputSlots: step.node.outputs.map { $0.isEmpty ? nil : slot($0) },
                 lastReads: lastReads[position].sorted())
        }
        var initialValues = [Tensor?](repeating: nil, count: slots.count)
        for input in graph.inputs { initialValues[slots[input.name]!] = graph.initializers[input.name] }
        self.graph = graph
        self.slots = slots
        self.constants = constants
        self.initialValues = initialValues
        requiredInputs = graph.runtimeInputs.map { DeclaredInput(info: $0, dims: $0.shape.map { $0.map(\.value) }) }
        inputNames = overridable
        outputNames = graph.outputs.map(\.name)
        var keep = [Bool](repeating: false, count: slots.count)
        for name in outputNames { if let slot = slots[name] { keep[slot] = true } }
        outputKeep = keep
        maxInputCount = steps.map(\.inputs.count).max() ?? 0
        shapeDerivation = ShapeDerivation(steps: steps)
    }

    /// True when a run of this plan has a value named `name` (fed, computed or constant).
    func holds(_ name: String) -> Bool { slots[name] != nil || constants[name] != nil }

    /// Checks feeds against the declared inputs: no unknown names, every runtime input present, dtype equal and
    /// known dimensions equal.
    func validate(_ feeds: [String: Tensor]) throws {
        for name in feeds.keys where !inputNames.contains(name) {
            throw RuntimeError.unexpectedFeed(name: name, known: requiredInputs.map(\.info.name))
        }
        for input in requiredInputs {
            guard let tensor = feeds[input.info.name] else {
                throw RuntimeError.missingFeed(name: input.info.name, expected: input.info.typeDescription)
            }
            let dtypeMatches = input.info.dtype.map { $0 == tensor.dtype } ?? true
            let shapeMatches = input.dims.map { dims in
                dims.count == tensor.rank && zip(dims, tensor.shape).allSatisfy { known, size in known.map { $0 == size } ?? true }
            } ?? true
            if !dtypeMatches || !shapeMatches {
                throw RuntimeError.feedMismatch(name: input.info.name, expected: input.info.typeDescription,
                                                actual: "\(tensor.dtype)\(tensor.shape)")
            }
        }
    }
}
