import QKGraph
import QKTensor

enum SliceKernel {
    /// Slice: along each listed axis keep `start, start + step, …` before `end`, numpy style.
    ///
    /// Opset ≥ 10 reads int32/int64 inputs (starts, ends, axes?, steps?); earlier opsets the attributes
    /// starts/ends/axes. Negative starts/ends count from the back; then, for step > 0, both clamp to `0...d`,
    /// for step < 0 start clamps to `0...d-1` and end to `-1...d-1` (so INT64_MIN/INT64_MAX mean "to the edge").
    static func slice(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let starts, ends: [Int]
        let axesGiven, stepsGiven: [Int]?
        if ctx.opset < 10 {
            starts = try ctx.node.required("starts", ctx.node.ints)
            ends = try ctx.node.required("ends", ctx.node.ints)
            axesGiven = try ctx.node.ints("axes")
            stepsGiven = nil
        } else {
            starts = try DataMovement.indexInput(ctx, 1, "starts")
            ends = try DataMovement.indexInput(ctx, 2, "ends")
            axesGiven = try DataMovement.optionalIndexInput(ctx, 3, "axes")
            stepsGiven = try DataMovement.optionalIndexInput(ctx, 4, "steps")
        }
        let axes = axesGiven ?? Array(0..<starts.count)
        let steps = stepsGiven ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw ctx.invalid("starts \(starts), ends \(ends), axes \(axes), steps \(steps) must have equal lengths")
        }
        var indices = data.shape.map { Array(0..<$0) }
        var seen = Set<Int>()
        for i in 0..<starts.count {
            let axis = try DataMovement.axis(axes[i], rank: data.rank, ctx, "axes entry")
            guard seen.insert(axis).inserted else { throw ctx.invalid("axes \(axes) repeat axis \(axis)") }
            guard steps[i] != 0 else { throw ctx.invalid("steps must be nonzero, got \(steps)") }
            indices[axis] = positions(start: starts[i], end: ends[i], step: steps[i], dim: data.shape[axis])
        }
        return [try data.gathered(AxisGather(sourceShape: data.shape, indices: indices), threads: ctx.threads)]
    }

    /// The source indices one sliced axis keeps, after numpy-style wrapping and clamping.
    static func positions(start: Int, end: Int, step: Int, dim: Int) -> [Int] {
        func wrapped(_ v: Int) -> Int { v < 0 ? v + dim : v }
        let s, e: Int
        if step > 0 {
            s = min(max(wrapped(start), 0), dim)
            e = min(max(wrapped(end), 0), dim)
        } else {
            s = min(max(wrapped(start), 0), dim - 1)
            e = min(max(wrapped(end), -1), dim - 1)
        }
        let span = step > 0 ? e - s : s - e
        let magnitude = min(Int(clamping: step.magnitude), dim + 1)
        let count = span <= 0 ? 0 : (span + magnitude - 1) / magnitude
        return (0..<count).map { s + $0 * step }
    }
}
