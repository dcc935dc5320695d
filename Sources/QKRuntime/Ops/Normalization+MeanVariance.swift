import QKTensor

/// MeanVarianceNormalization: `y = (x − E[x]) / (√(E[x²] − E[x]²) + 1e-9)` with the expectations taken over
/// `axes` (default [0, 2, 3]); a variance that rounds below zero counts as zero.
extension OpTable {
    static func meanVarianceNormalization(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        return try NormalizationMath.dispatch(ctx, x, float: { try meanVarianceNormalization(ctx, x, Float.self) },
                                              double: { try meanVarianceNormalization(ctx, x, Double.self) })
    }

    private static func meanVarianceNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor,
                                                                     _ type: F.Type) throws -> [Tensor] {
        let listed = try ctx.node.ints("axes") ?? [0, 2, 3]
        var axes = Set<Int>()
        for axis in listed {
            guard (-x.rank..<x.rank).contains(axis), axes.insert(axis < 0 ? axis + x.rank : axis).inserted else {
                throw ctx.invalid("axes \(listed) must be distinct axes of the rank-\(x.rank) input")
            }
        }
        let layout = ReductionLayout(shape: x.shape, axes: axes)
        var values = NormalizationMath.values(x, as: F.self)
        let arranged = layout.arrange(values, shape: x.shape)
        let n = F(layout.reduced)
        let means = ReductionFold.fold(SumRule.self, arranged, layout: layout, threads: ctx.threads).map { $0 / n }
        let squares = ReductionFold.fold(SquareSumRule.self, arranged, layout: layout, threads: ctx.threads)
        let deviations = zip(squares, means).map { Swift.max(0, $0 / n - $1 * $1).squareRoot() + F(1e-9) }
        // Walk x in row-major order, tracking the index of its statistics among the kept axes.
        let keptShape = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
        let keptStrides = zip(Tensor.strides(for: keptShape), x.shape.indices).map { axes.contains($1) ? 0 : $0 }
        var index = [Int](repeating: 0, count: x.rank)
        var statistic = 0
        for position in values.indices {
            values[position] = (values[position] - means[statistic]) / deviations[statistic]
            var axis = x.rank - 1
            while axis >= 0 {
                index[axis] += 1
                statistic += keptStrides[axis]
                if index[axis] < x.shape[axis] { break }
                statistic -= keptStrides[axis] * x.shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return [Tensor(shape: x.shape, values: values)]
    }
}
