import QKTensor

/// Shape functions of reductions: Reduce* and ArgMax/ArgMin.
extension ShapeInference {
    static let reductionRules: [String: ShapeRule] = [
        "ReduceMean": reduction(axesInputSince: 18),
        "ReduceSum": reduction(axesInputSince: 13),
        "ReduceMax": reduction(axesInputSince: 18),
        "ReduceMin": reduction(axesInputSince: 18),
        "ReduceProd": reduction(axesInputSince: 18),
        "ReduceL1": reduction(axesInputSince: 18),
        "ReduceL2": reduction(axesInputSince: 18),
        "ReduceLogSum": reduction(axesInputSince: 18),
        "ReduceLogSumExp": reduction(axesInputSince: 18),
        "ReduceSumSquare": reduction(axesInputSince: 18),
        "ArgMax": argReduction,
        "ArgMin": argReduction,
    ]

    /// Reduced axes become 1 (`keepdims`, the default) or disappear. Axes come from the attribute before
    /// `axesInputSince` and from input 1 after; no axes reduce every axis, or nothing with `noop_with_empty_axes`.
    static func reduction(axesInputSince: Int64) -> ShapeRule {
        return { context in
            let dtype = context.dtype(0)
            let keepDims = try context.node.int("keepdims", default: 1) != 0
            guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
            let given = try context.axes(attribute: "axes", input: 1, inputSince: axesInputSince)
            guard let axes = given ?? [] else {
                return [context.output(dtype, keepDims ? input.map { _ in .unknown } : nil)]
            }
            if axes.isEmpty, try context.node.int("noop_with_empty_axes", default: 0) != 0 {
                return [context.output(dtype, input)]
            }
            let reduced = axes.isEmpty
                ? Set(input.indices) : Set(try axes.map { try context.normalizedAxis($0, rank: input.count) })
            return [context.output(dtype, reducedShape(input, axes: reduced, keepDims: keepDims))]
        }
    }

    /// int64 indices with `axis` reduced (kept as 1 with `keepdims`, the default).
    static let argReduction: ShapeRule = { context in
        let keepDims = try context.node.int("keepdims", default: 1) != 0
        guard let input = context.shape(0) else { return [context.output(.int64, nil)] }
        let axis = try context.normalizedAxis(try context.node.int("axis", default: 0), rank: input.count)
        return [context.output(.int64, reducedShape(input, axes: [axis], keepDims: keepDims))]
    }

    static func reducedShape(_ input: [Dimension], axes: Set<Int>, keepDims: Bool) -> [Dimension] {
        input.indices.compactMap { axes.contains($0) ? (keepDims ? .known(1) : nil) : input[$0] }
    }
}
