import QKTensor

/// The ONNX Reduce* operators, each as a formula over the reduced elements x₁ … xₙ.
///
/// | case        | op              | result                  | empty (n = 0)            |
/// |-------------|-----------------|-------------------------|--------------------------|
/// | sum         | ReduceSum       | Σ x                     | 0                        |
/// | mean        | ReduceMean      | Σ x / n                 | NaN (0/0)                |
/// | max         | ReduceMax       | max x                   | −∞ / dtype min / false   |
/// | min         | ReduceMin       | min x                   | +∞ / dtype max / true    |
/// | prod        | ReduceProd      | Π x                     | 1                        |
/// | l1          | ReduceL1        | Σ \|x\|                 | 0                        |
/// | l2          | ReduceL2        | √(Σ x²)                 | 0                        |
/// | sumSquare   | ReduceSumSquare | Σ x²                    | 0                        |
/// | logSum      | ReduceLogSum    | log Σ x                 | −∞                       |
/// | logSumExp   | ReduceLogSumExp | m + log Σ exp(x − m), m = max x | −∞               |
///
/// Float16 and bfloat16 compute in `Float`; integers compute in `Int64` with wrap-around (numpy's result cast
/// back to the input dtype), except l2/logSum/logSumExp, which compute in `Double` and truncate; bool supports
/// max (any) and min (all).
enum Reduction: Sendable {
    case sum, mean, max, min, prod, l1, l2, sumSquare, logSum, logSumExp

    /// Reduces `data` with `layout`; the result holds `outer · inner` elements of `data`'s dtype (shape [count]).
    func apply(to data: Tensor, layout: ReductionLayout, threads: Int) throws -> Tensor? {
        switch data.storage {
        case .float32(let values):
            return Tensor(shape: [layout.outer * layout.inner], values: reduce(values, data.shape, layout, threads))
        case .float64(let values):
            return Tensor(shape: [layout.outer * layout.inner], values: reduce(values, data.shape, layout, threads))
        case .float16, .bfloat16:
            return try apply(to: data.converted(to: .float32), layout: layout, threads: threads)?.converted(to: data.dtype)
        case .bool:
            guard self == .max || self == .min else { return nil }
            return try apply(to: data.converted(to: .uint8), layout: layout, threads: threads)?.converted(to: .bool)
        default:
            switch self {
            case .l2, .logSum, .logSumExp:
                return try apply(to: data.converted(to: .float64), layout: layout, threads: threads)?.converted(to: data.dtype)
            default:
                let values = reduceIntegers(data.int64Values, data.shape, dtype: data.dtype, layout)
                return Tensor(shape: [values.count], values: values).converted(to: data.dtype)
            }
        }
    }

    private func reduce<F: ReductionFloat>(_ data: [F], _ shape: [Int], _ layout: ReductionLayout, _ threads: Int) -> [F] {
        let x = layout.arrange(data, shape: shape)
        let n = F(layout.reduced)
        switch self {
        case .sum: return ReductionFold.fold(SumRule.self, x, layout: layout, threads: threads)
        case .mean: return ReductionFold.fold(SumRule.self, x, layout: layout, threads: threads).map { $0 / n }
        case .max: return ReductionFold.fold(MaximumRule.self, x, layout: layout, threads: threads)
        case .min: return ReductionFold.fold(MinimumRule.self, x, layout: layout, threads: threads)
        case .prod: return ReductionFold.fold(ProductRule.self, x, layout: layout, threads: threads)
        case .l1: return ReductionFold.fold(MagnitudeSumRule.self, x, layout: layout, threads: threads)
        case .l2: return ReductionFold.fold(SquareSumRule.self, x, layout: layout, threads: threads).map { $0.squareRoot() }
        case .sumSquare: return ReductionFold.fold(SquareSumRule.self, x, layout: layout, threads: threads)
        case .logSum: return ReductionFold.fold(SumRule.self, x, layout: layout, threads: threads).map(F.log)
        case .logSumExp: return logSumExp(x, layout, threads)
        }
    }

    /// m + log Σ exp(x − m) with m the maximum (0 when the maximum is infinite), so large inputs do not overflow.
    private func logSumExp<F: ReductionFloat>(_ x: [F], _ layout: ReductionLayout, _ threads: Int) -> [F] {
        let shifts = ReductionFold.fold(MaximumRule.self, x, layout: layout, threads: threads).map { $0.isFinite ? $0 : 0 }
        let (reduced, inner) = (layout.reduced, layout.inner)
        var shifted = x
        for index in shifted.indices {
            let shift = shifts[index / (reduced * inner) * inner + index % inner]
            shifted[index] = F.exp(shifted[index] - shift)
        }
        let sums = ReductionFold.fold(SumRule.self, shifted, layout: layout, threads: threads)
        return zip(sums, shifts).map { F.log($0) + $1 }
    }

    private func reduceIntegers(_ data: [Int64], _ shape: [Int], dtype: DType, _ layout: ReductionLayout) -> [Int64] {
        let x = layout.arrange(data, shape: shape)
        let (outer, reduced, inner) = (layout.outer, layout.reduced, layout.inner)
        let range = Reduction.integerRange(dtype)
        let identity: Int64
        let combine: (Int64, Int64) -> Int64
        switch self {
        case .max: (identity, combine) = (range.lowerBound, { Swift.max($0, $1) })
        case .min: (identity, combine) = (range.upperBound, { Swift.min($0, $1) })
        case .prod: (identity, combine) = (1, { $0 &* $1 })
        case .l1: (identity, combine) = (0, { $0 &+ ($1 < 0 ? 0 &- $1 : $1) })
        case .sumSquare: (identity, combine) = (0, { $0 &+ $1 &* $1 })
        default: (identity, combine) = (0, { $0 &+ $1 })
        }
        var out = [Int64](repeating: identity, count: outer * inner)
        for o in 0..<outer {
            for r in 0..<reduced {
                let base = (o * reduced + r) * inner
                for i in 0..<inner { out[o * inner + i] = combine(out[o * inner + i], x[base + i]) }
            }
        }
        if self == .mean && reduced > 0 { return out.map { $0 / Int64(reduced) } }
        return out
    }

    /// The value range of an integer dtype (bool reduces as uint8: 0 … 255 casts back to false … true).
    private static func integerRange(_ dtype: DType) -> ClosedRange<Int64> {
        switch dtype {
        case .int8: Int64(Int8.min)...Int64(Int8.max)
        case .uint8: 0...Int64(UInt8.max)
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .uint16: 0...Int64(UInt16.max)
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        default: Int64.min...Int64.max
        }
    }
}
