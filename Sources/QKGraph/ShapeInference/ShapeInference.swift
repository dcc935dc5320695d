import QKTensor

/// Static dtype and shape inference over a ``Model``'s graph.
///
/// Walks the nodes in dependency order and applies one shape function per operator (the table in
/// `ShapeInference+Table.swift`). Dimensions stay ``Dimension/symbolic(_:)`` where the graph says so
/// (`"batch"` broadcast with 1 is `"batch"`), and small integer tensors are propagated element by element so
/// that shape tensors built with `Shape → Gather → Concat → Reshape` give exact shapes.
///
/// - Operators without a shape function get outputs of unknown dtype and shape; inference never fails for them.
/// - A structural contradiction (MatMul inner sizes 3 and 4, Concat of different ranks, Reshape of 12 elements
///   to `[5, -1]`, a declared output type that disagrees with the inferred one) throws
///   ``GraphError/shapeInference(node:message:)`` naming the node and the shapes; a cycle throws
///   ``GraphError/cycle(nodes:)``.
public enum ShapeInference {
    /// The dtype and shape of every value in `model`'s graph: graph inputs, initializers and node outputs.
    ///
    /// Declared types (graph outputs, `valueInfo`) refine the inferred ones where inference leaves a dimension
    /// or dtype unknown. Example: `MatMul(float32[batch, 8, 16], float32[16, 4])` gives `float32[batch, 8, 4]`.
    public static func infer(_ model: Model) throws -> [String: ValueInfo] {
        var result: [String: ValueInfo] = [:]
        for (name, value) in try inferValues(model) { result[name] = value.valueInfo(named: name) }
        return result
    }

    /// Everything inference knows, by value name, including propagated constant data.
    static func inferValues(_ model: Model) throws -> [String: InferredValue] {
        let graph = model.graph
        var values: [String: InferredValue] = [:]
        for input in graph.inputs { values[input.name] = InferredValue(dtype: input.dtype, shape: input.shape) }
        for (name, tensor) in graph.initializers { values[name] = InferredValue(tensor: tensor) }

        var declared: [String: ValueInfo] = [:]
        for info in graph.valueInfo + graph.outputs { declared[info.name] = info }

        for node in try graph.topologicalOrder().map({ graph.nodes[$0] }) {
            let context = ShapeRuleContext(
                node: node, opset: opset(of: node, in: model),
                inputs: node.inputs.map { $0.isEmpty ? nil : values[$0] ?? .unknown })
            let inferred = try rule(for: node)?(context) ?? []
            for (index, name) in node.outputs.enumerated() where !name.isEmpty {
                var value = index < inferred.count ? inferred[index] : .unknown
                if let info = declared[name] { value = try refine(value, with: info, node: node) }
                if let data = value.data, data.count > InferredValue.maxDataCount { value.data = nil }
                values[name] = value
            }
        }
        return values
    }

    /// The imported opset of the node's domain; the newest supported version when the model does not import it.
    static func opset(of node: Node, in model: Model) -> Int64 {
        model.opsetVersion(for: node.normalizedDomain) ?? (node.normalizedDomain.isEmpty ? 21 : 1)
    }

    /// `value` with unknown parts filled from a declared type; throws when a known part disagrees.
    static func refine(_ value: InferredValue, with info: ValueInfo, node: Node) throws -> InferredValue {
        var refined = value
        let mismatch = {
            GraphError.shapeInference(
                node: node.displayName,
                message: "inferred \(value.valueInfo(named: info.name).typeDescription) for '\(info.name)' but the graph declares \(info.typeDescription)")
        }
        switch (value.dtype, info.dtype) {
        case (nil, let declaredType): refined.dtype = declaredType
        case (let inferredType?, let declaredType?) where inferredType != declaredType: throw mismatch()
        default: break
        }
        guard let declaredShape = info.shape else { return refined }
        guard let shape = value.shape else {
            refined.shape = declaredShape
            return refined
        }
        guard shape.count == declaredShape.count else { throw mismatch() }
        refined.shape = try zip(shape, declaredShape).map { inferred, declared in
            switch (inferred, declared) {
            case (.known(let a), .known(let b)) where a != b: throw mismatch()
            case (.known, _), (.symbolic, .symbolic), (.symbolic, .unknown): return inferred
            default: return declared
            }
        }
        return refined
    }
}

extension Model {
    /// The model with `graph.valueInfo` set to the inferred type of every intermediate value (node outputs that
    /// are not graph outputs), in node order; declared entries for other names are kept after them and
    /// everything else is unchanged.
    public func withInferredShapes() throws -> Model {
        let inferred = try ShapeInference.inferValues(self)
        let graphOutputs = Set(graph.outputs.map(\.name))
        let existing = Dictionary(graph.valueInfo.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var intermediate: [ValueInfo] = []
        var covered = Set<String>()
        for node in graph.nodes {
            for name in node.outputs where !name.isEmpty && !graphOutputs.contains(name) && !covered.contains(name) {
                covered.insert(name)
                let value = inferred[name] ?? .unknown
                intermediate.append(value.valueInfo(named: name, docString: existing[name]?.docString ?? ""))
            }
        }
        var model = self
        model.graph.valueInfo = intermediate + graph.valueInfo.filter { !covered.contains($0.name) }
        return model
    }
}
