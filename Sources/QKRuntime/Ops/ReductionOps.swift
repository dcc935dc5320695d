import QKGraph
import QKTensor

/// Reduce* (one ``Reduction`` each) and ArgMax/ArgMin.
///
/// `axes` is an attribute up to opset 12 for ReduceSum and up to opset 17 for the others, and an optional
/// int64 input from then on. No axes (or an empty axes input) reduces every axis, unless
/// `noop_with_empty_axes` = 1, which reduces none (the element transform, e.g. |x| for ReduceL1, still applies).
/// `keepdims` (default 1) keeps reduced axes as size 1.
extension OpTable {
    static let reductionKernels: [String: OpKernel] = [
        "ReduceSum": reductionKernel(.sum, axesInputSince: 13),
        "ReduceMean": reductionKernel(.mean, axesInputSince: 18),
        "ReduceMax": reductionKernel(.max, axesInputSince: 18),
        "ReduceMin": reductionKernel(.min, axesInputSince: 18),
        "ReduceProd": reductionKernel(.prod, axesInputSince: 18),
        "ReduceL1": reductionKernel(.l1, axesInputSince: 18),
        "ReduceL2": reductionKernel(.l2, axesInputSince: 18),
        "ReduceSumSquare": reductionKernel(.sumSquare, axesInputSince: 18),
        "ReduceLogSum": reductionKernel(.logSum, axesInputSince: 18),
        "ReduceLogSumExp": reductionKernel(.logSumExp, axesInputSince: 18),
        "ArgMax": argReductionKernel(largest: true),
        "ArgMin": argReductionKernel(largest: false),
    ]

    private static func reductionKernel(_ reduction: Reduction, axesInputSince: Int) -> OpKernel {
        { ctx in
            let data = try ctx.input(0)
            let axes = try reducedAxes(ctx, rank: data.rank, axesInputSince: axesInputSince)
            let keepdims = try ctx.node.int("keepdims", default: 1) != 0
            let layout = ReductionLayout(shape: data.shape, axes: axes)
            guard let reduced = try reduction.apply(to: data, layout: layout, threads: ctx.threads) else {
                throw ctx.invalid("\(ctx.node.opType) does not support \(data.dtype) input")
            }
            return [try reduced.reshaped(reducedShape(data.shape, axes: axes, keepdims: keepdims))]
        }
    }

    /// The axes a Reduce* node reduces, normalised to 0 ..< rank.
    static func reducedAxes(_ ctx: KernelContext, rank: Int, axesInputSince: Int) throws -> Set<Int> {
        let listed: [Int]?
        if ctx.opset >= axesInputSince {
            listed = ctx.optionalInput(1).map { $0.int64Values.map { Int($0) } }
        } else {
            listed = try ctx.node.ints("axes")
        }
        guard let listed, !listed.isEmpty else {
            let noop = try ctx.node.int("noop_with_empty_axes", default: 0) != 0
            return noop && ctx.opset >= axesInputSince ? [] : Set(0..<rank)
        }
        var axes = Set<Int>()
        for axis in listed {
            guard (-rank..<rank).contains(axis) else {
                throw ctx.invalid("axis \(axis) is out of range for a rank-\(rank) input")
            }
            guard axes.insert(axis < 0 ? axis + rank : axis).inserted else {
                throw ctx.invalid("axis \(axis) is listed twice in axes \(listed)")
            }
        }
        return axes
    }

    /// `shape` with each reduced axis set to 1 (`keepdims`) or removed.
    static func reducedShape(_ shape: [Int], axes: Set<Int>, keepdims: Bool) -> [Int] {
        shape.indices.compactMap { axis in
            guard axes.contains(axis) else { return shape[axis] }
            return keepdims ? 1 : nil
        }
    }
}
