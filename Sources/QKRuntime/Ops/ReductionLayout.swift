import QKTensor

/// A reduction over any set of axes rewritten as `out[o, i] = ⊕_r x[o, r, i]` over a row-major
/// `[outer, reduced, inner]` view of the input.
///
/// Axes of size 1 never matter, so they are dropped first. When the remaining reduced axes form one
/// contiguous block the view is the input itself (no copy): `outer` is the product of the kept sizes before
/// the block, `reduced` the product of the block, `inner` the product of the kept sizes after it. Otherwise the
/// input is first transposed so that the kept axes come first and the reduced axes last (`inner` = 1).
///
/// Example: shape [2, 3, 4], axes {1} → outer 2, reduced 3, inner 4; axes {0, 2} → transpose to [3, 2, 4]
/// (kept axis 1 first), outer 3, reduced 8, inner 1.
struct ReductionLayout: Equatable {
    let outer: Int
    let reduced: Int
    let inner: Int
    /// The axis order to transpose the input to before reducing, or nil when no transposition is needed.
    let permutation: [Int]?

    /// The layout for reducing `shape` over `axes` (valid, non-negative axis numbers).
    init(shape: [Int], axes: Set<Int>) {
        let significant = shape.indices.filter { shape[$0] != 1 }
        let flags = significant.map { axes.contains($0) }
        let firstReduced = flags.firstIndex(of: true)
        let lastReduced = flags.lastIndex(of: true)
        let product: (ArraySlice<Int>) -> Int = { $0.reduce(1) { $0 * shape[$1] } }
        guard let first = firstReduced, let last = lastReduced else {
            outer = shape.reduce(1, *)
            reduced = 1
            inner = 1
            permutation = nil
            return
        }
        if flags[first...last].allSatisfy({ $0 }) {
            outer = product(significant[..<first])
            reduced = product(significant[first...last])
            inner = product(significant[(last + 1)...])
            permutation = nil
        } else {
            let kept = shape.indices.filter { !axes.contains($0) }
            let dropped = shape.indices.filter { axes.contains($0) }
            outer = product(kept[...])
            reduced = product(dropped[...])
            inner = 1
            permutation = kept + dropped
        }
    }

    /// `values` (row-major, of `shape`) in the order this layout reads them: transposed when
    /// ``permutation`` is set, unchanged otherwise.
    func arrange<T>(_ values: [T], shape: [Int]) -> [T] {
        guard let permutation else { return values }
        return ReductionLayout.transpose(values, shape: shape, permutation: permutation)
    }

    /// Row-major `values` of `shape` with axes reordered so that output axis k is input axis `permutation[k]`.
    static func transpose<T>(_ values: [T], shape: [Int], permutation: [Int]) -> [T] {
        guard let first = values.first else { return values }
        let strides = Tensor.strides(for: shape)
        let outShape = permutation.map { shape[$0] }
        let outStrides = permutation.map { strides[$0] }
        var result = [T](repeating: first, count: values.count)
        var index = [Int](repeating: 0, count: outShape.count)
        var source = 0
        for position in 0..<values.count {
            result[position] = values[source]
            var axis = outShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += outStrides[axis]
                if index[axis] < outShape[axis] { break }
                source -= outStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
}
