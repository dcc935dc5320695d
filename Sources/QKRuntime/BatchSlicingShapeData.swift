import QKGraph
import QKTensor

/// Following the batch size through shape computations (`Shape → Gather → Unsqueeze → Concat`), entry by entry.
extension BatchSliceAnalysis {
    /// The fact of a node that computes shape data, or nil when the node is not one of the followed ops or its
    /// inputs are not in the followed form (the caller then treats it as any other op).
    func shapeDataFacts(_ node: Node, _ inputs: [BatchFact?]) throws -> BatchFact? {
        guard node.normalizedDomain.isEmpty, let first = inputs.first else { return nil }
        if node.opType == "Shape" {
            guard first == .batched, let dims = inferred[node.inputs[0]]?.shape else { return nil }
            let entries = [ShapeEntry.batch] + dims.dropFirst().map { ShapeEntry.fixed($0.value) }
            let start = clamped(try node.int("start") ?? 0, count: entries.count)
            let end = clamped(try node.int("end") ?? entries.count, count: entries.count)
            return .shapeData(start < end ? Array(entries[start..<end]) : [], scalar: false)
        }
        guard case .shapeData(let entries, let scalar)? = first else { return nil }
        switch node.opType {
        case "Identity":
            return first
        case "Cast":
            let integerTypes: Set<Int> = [2, 3, 4, 5, 6, 7, 12, 13]  // ONNX TensorProto integer dtypes
            return integerTypes.contains(try node.int("to") ?? 0) ? first : nil
        case "Gather":
            guard !scalar, [0, -1].contains(try node.int("axis") ?? 0),
                  node.inputs.count > 1, let tensor = constants[node.inputs[1]], tensor.rank <= 1,
                  let indices = integers(of: tensor) else { return nil }
            var picked: [ShapeEntry] = []
            for index in indices {
                let position = index < 0 ? index + entries.count : index
                guard entries.indices.contains(position) else { throw refuse(node, "gathers outside the shape") }
                picked.append(entries[position])
            }
            return .shapeData(picked, scalar: tensor.rank == 0)
        case "Unsqueeze":
            guard scalar, try axes(node, input: 1) == [0] || axes(node, input: 1) == [-1] else { return nil }
            return .shapeData(entries, scalar: false)
        case "Squeeze":
            let squeezed = try axes(node, input: 1)
            guard !scalar, entries.count == 1, squeezed == nil || squeezed == [0] || squeezed == [-1] else { return nil }
            return .shapeData(entries, scalar: true)
        case "Concat":
            guard [0, -1].contains(try node.int("axis") ?? 0) else { return nil }
            var joined: [ShapeEntry] = []
            for name in node.inputs where !name.isEmpty {
                guard let part = shapeEntries(of: name) else { return nil }
                joined += part
            }
            return .shapeData(joined, scalar: false)
        case "Slice":
            return try slicedShapeData(node, entries: entries, scalar: scalar)
        default:
            return nil
        }
    }

    /// Slice of a shape vector along its only axis with constant starts/ends and step 1.
    private func slicedShapeData(_ node: Node, entries: [ShapeEntry], scalar: Bool) throws -> BatchFact? {
        let starts = try node.ints("starts") ?? constantInts(node, 1)
        let ends = try node.ints("ends") ?? constantInts(node, 2)
        let axes = try node.ints("axes") ?? constantInts(node, 3)
        let steps = try constantInts(node, 4)
        guard !scalar, let start = starts, let end = ends, start.count == 1, end.count == 1,
              axes == nil || axes == [0] || axes == [-1], steps == nil || steps == [1] else { return nil }
        let lower = clamped(start[0], count: entries.count), upper = clamped(end[0], count: entries.count)
        return .shapeData(lower < upper ? Array(entries[lower..<upper]) : [], scalar: false)
    }

    /// The entries of a value used as shape data: followed shape data, a constant's integers, or (for an
    /// invariant vector of known length) that many invariant unknown numbers; nil otherwise.
    func shapeEntries(of name: String) -> [ShapeEntry]? {
        if case .shapeData(let entries, _)? = facts[name] { return entries }
        if let tensor = constants[name], tensor.rank <= 1, let values = integers(of: tensor) {
            return values.map { .fixed($0) }
        }
        guard facts[name]?.isInvariant ?? false, let shape = inferred[name]?.shape, shape.count <= 1 else { return nil }
        if shape.isEmpty { return [.fixed(nil)] }
        return shape[0].value.map { [ShapeEntry](repeating: .fixed(nil), count: $0) }
    }

    /// Reshape of a batched value: per-sample when the target's dim 0 is the batch (followed from `Shape`, or a
    /// constant 0 that copies the input's dim 0) and no other entry depends on it. A constant −1 first entry is
    /// not enough: [-1, 32] turns [32, 64] into [64, 32].
    func checkReshape(_ node: Node, _ inputs: [BatchFact?]) throws {
        guard inputs.first == .batched, node.inputs.count > 1, let entries = shapeEntries(of: node.inputs[1]),
              let first = entries.first else {
            throw refuse(node, "has a target shape that is not followed")
        }
        let allowZero = try node.int("allowzero") ?? 0
        let copiesBatch = first == .batch || (first == .fixed(0) && allowZero == 0)
        guard copiesBatch, !entries.dropFirst().contains(.batch) else {
            throw refuse(node, "may move samples across dim 0")
        }
    }
}

/// `index` (negative counts from the end) clamped to 0...count, as Shape and Slice treat their bounds.
private func clamped(_ index: Int, count: Int) -> Int {
    min(max(index < 0 ? index + count : index, 0), count)
}
