import QKTensor

/// Shape functions of operators that rearrange dimensions without selecting elements: Reshape, Flatten,
/// Transpose, Squeeze, Unsqueeze, Expand and Tile.
extension ShapeInference {
    static let reshapingRules: [String: ShapeRule] = [
        "Reshape": reshape,
        "Flatten": flatten,
        "Transpose": transpose,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Expand": expand,
        "Tile": tile,
    ]

    /// Target `shape` (input 1): 0 copies the input dimension (unless `allowzero`), −1 takes what remains of
    /// the element count, others are taken as given. Known element counts must match.
    static let reshape: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let target = context.input(1).data else {
            return [context.output(dtype, context.unknownShape(rankFrom: 1))]
        }
        let input = context.shape(0)
        let allowZero = try context.node.int("allowzero", default: 0) != 0
        var shape: [Dimension] = []
        var inferredAxis: Int?
        for (axis, element) in target.enumerated() {
            switch element {
            case .known(0) where !allowZero:
                guard let input else { shape.append(.unknown); continue }
                guard axis < input.count else {
                    throw context.failure("shape \(describe(target)) copies axis \(axis) of the \(input.count)-D input \(describe(input))")
                }
                shape.append(input[axis])
            case .known(-1):
                guard inferredAxis == nil else { throw context.failure("shape \(describe(target)) has more than one -1") }
                inferredAxis = axis
                shape.append(.unknown)
            case .known(let n) where n < -1:
                throw context.failure("shape \(describe(target)) has a negative dimension \(n)")
            default: shape.append(element)
            }
        }
        if let input {
            let total = DimensionProduct(input)
            if let axis = inferredAxis {
                let rest = DimensionProduct(shape.enumerated().filter { $0.offset != axis }.map(\.element))
                guard let dim = total.quotient(dividingBy: rest) else {
                    throw context.failure("cannot reshape \(describe(input)) to \(describe(target))")
                }
                shape[axis] = dim
            } else if let count = total.dimension.value, let wanted = DimensionProduct(shape).dimension.value,
                      count != wanted {
                throw context.failure("cannot reshape \(describe(input)) (\(count) elements) to \(describe(shape)) (\(wanted) elements)")
            }
        }
        var output = context.output(dtype, shape)
        if let data = context.input(0).data, shape.count <= 1, DimensionProduct(shape).dimension.value == data.count {
            output.data = data
        }
        return [output]
    }

    /// `[d0 … d(axis−1) | d(axis) …] → [Π first part, Π second part]`.
    static let flatten: ShapeRule = { context in
        guard let input = context.shape(0) else { return [context.output(context.dtype(0), [.unknown, .unknown])] }
        let axis = try context.node.int("axis", default: 1)
        let split = axis < 0 ? axis + input.count : axis
        guard split >= 0, split <= input.count else {
            throw context.failure("axis \(axis) is out of range for \(describe(input))")
        }
        let outer = DimensionProduct(Array(input[..<split])).dimension
        let inner = DimensionProduct(Array(input[split...])).dimension
        return [context.output(context.dtype(0), [outer, inner])]
    }

    /// Output axis i is input axis `perm[i]` (reversed axes without `perm`).
    static let transpose: ShapeRule = { context in
        guard let input = context.shape(0) else { return [context.output(context.dtype(0), nil)] }
        let perm = try context.node.ints("perm") ?? Array(input.indices.reversed())
        guard perm.count == input.count, Set(perm) == Set(input.indices) else {
            throw context.failure("perm \(perm) is not a permutation of the axes of \(describe(input))")
        }
        return [context.output(context.dtype(0), perm.map { input[$0] })]
    }

    /// Removes `axes` (attribute before opset 13, input 1 from 13), or every known 1 without axes.
    static let squeeze: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
        let given = try context.axes(attribute: "axes", input: 1, inputSince: 13)
        guard let axes = given == nil ? unitAxes(input) : given ?? nil else { return [context.output(dtype, nil)] }
        let removed = Set(try axes.map { try context.normalizedAxis($0, rank: input.count) })
        for axis in removed where input[axis].value.map({ $0 != 1 }) ?? false {
            throw context.failure("cannot squeeze axis \(axis) of \(describe(input)), its size is not 1")
        }
        var output = context.output(dtype, input.indices.filter { !removed.contains($0) }.map { input[$0] })
        if output.shape?.count ?? 2 <= 1 { output.data = context.input(0).data }
        return [output]
    }

    /// The axes of `shape` of known size 1; nil when some dimension is not known (the result rank is unknown).
    static func unitAxes(_ shape: [Dimension]) -> [Int]? {
        guard shape.allSatisfy({ $0.value != nil }) else { return nil }
        return shape.indices.filter { shape[$0].isKnown(1) }
    }

    /// Inserts size-1 axes at `axes` of the output (attribute before opset 13, input 1 from 13).
    static let unsqueeze: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0), let axes = try context.axes(attribute: "axes", input: 1, inputSince: 13) ?? nil
        else { return [context.output(dtype, nil)] }
        let rank = input.count + axes.count
        let inserted = Set(try axes.map { try context.normalizedAxis($0, rank: rank) })
        guard inserted.count == axes.count else { throw context.failure("axes \(axes) repeat an axis") }
        var remaining = input.makeIterator()
        let shape = (0..<rank).map { inserted.contains($0) ? .known(1) : remaining.next() ?? .unknown }
        var output = context.output(dtype, shape)
        if rank <= 1 { output.data = context.input(0).data }
        return [output]
    }

    /// Broadcast of the input with the shape given by input 1.
    static let expand: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let target = context.input(1).data else {
            guard let input = context.shape(0), let target = context.unknownShape(rankFrom: 1) else {
                return [context.output(dtype, nil)]
            }
            return [context.output(dtype, Array(repeating: .unknown, count: max(target.count, input.count)))]
        }
        return [context.output(dtype, try broadcast([context.shape(0), target], context))]
    }

    /// Dimension i times `repeats[i]`.
    static let tile: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
        guard let repeats = context.input(1).data else { return [context.output(dtype, input.map { _ in .unknown })] }
        guard repeats.count == input.count else {
            throw context.failure("repeats \(describe(repeats)) do not match the rank of \(describe(input))")
        }
        return [context.output(dtype, zip(input, repeats).map { $0 * $1 })]
    }
}
