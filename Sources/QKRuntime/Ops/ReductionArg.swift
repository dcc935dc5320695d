import QKTensor

/// ArgMax / ArgMin: the int64 index of the largest / smallest element along `axis` (default 0).
///
/// Ties give the first index, or the last with `select_last_index` = 1. A NaN counts as the extreme in both
/// ops (as numpy's argmax/argmin). `keepdims` (default 1) keeps the axis as size 1. Bool compares as 0/1,
/// bfloat16 as `Float`.
extension OpTable {
    static func argReductionKernel(largest: Bool) -> OpKernel {
        { ctx in
            let data = try ctx.input(0)
            let rank = data.rank
            let axis = try ctx.node.int("axis", default: 0)
            guard (-rank..<rank).contains(axis) else {
                throw ctx.invalid("axis \(axis) is out of range for a rank-\(rank) input")
            }
            let normalized = axis < 0 ? axis + rank : axis
            let layout = ReductionLayout(shape: data.shape, axes: [normalized])
            guard layout.reduced > 0 || layout.outer * layout.inner == 0 else {
                throw ctx.invalid("cannot take \(ctx.node.opType) along axis \(axis) of size 0")
            }
            let last = try ctx.node.int("select_last_index", default: 0) != 0
            let indices: [Int64]
            switch data.storage {
            case .float32(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .float64(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .float16(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .bfloat16, .bool: indices = argExtreme(data.floatValues, layout, largest: largest, last: last)
            case .int8(let v), .int4(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .uint8(let v), .uint4(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .int16(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .uint16(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .int32(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            case .int64(let v): indices = argExtreme(v, layout, largest: largest, last: last)
            }
            let keepdims = try ctx.node.int("keepdims", default: 1) != 0
            return [Tensor(shape: reducedShape(data.shape, axes: [normalized], keepdims: keepdims), values: indices)]
        }
    }

    /// For each (o, i) of the layout, the index r of the extreme x[o, r, i]. `x != x` detects NaN generically.
    private static func argExtreme<T: Comparable>(_ x: [T], _ layout: ReductionLayout, largest: Bool,
                                                  last: Bool) -> [Int64] {
        let (outer, reduced, inner) = (layout.outer, layout.reduced, layout.inner)
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * reduced * inner + i
                var best = 0
                var bestValue = x[base]
                for r in 1..<max(reduced, 1) {
                    let value = x[base + r * inner]
                    if bestValue != bestValue && !last { break }
                    let better: Bool
                    if value != value {
                        better = true
                    } else if bestValue != bestValue {
                        better = false
                    } else {
                        better = largest ? (last ? value >= bestValue : value > bestValue)
                                         : (last ? value <= bestValue : value < bestValue)
                    }
                    if better {
                        best = r
                        bestValue = value
                    }
                }
                out[o * inner + i] = Int64(best)
            }
        }
        return out
    }
}
