import QKGraph
import QKTensor

enum PadKernel {
    /// How a pad mode maps an output position to a source index along one axis.
    ///
    /// With `j = i − begin` the position relative to the source and `d` the source dim:
    ///
    /// | mode     | source index for j outside `0..<d`                      |
    /// |----------|---------------------------------------------------------|
    /// | constant | none: the constant value                                |
    /// | edge     | `clamp(j, 0, d−1)`                                      |
    /// | reflect  | mirror without repeating the edge, period `2(d−1)`      |
    /// | wrap     | `j mod d`                                               |
    static let modes: [String: @Sendable (_ j: Int, _ d: Int) -> Int] = [
        "constant": { j, d in (0..<d).contains(j) ? j : -1 },
        "edge": { j, d in min(max(j, 0), d - 1) },
        "reflect": { j, d in
            guard d > 1 else { return 0 }
            let period = 2 * (d - 1)
            let m = ((j % period) + period) % period
            return m < d ? m : period - m
        },
        "wrap": { j, d in ((j % d) + d) % d },
    ]

    /// Pad: grows (or, with negative pads, crops) each axis by `pads[k]` before and `pads[rank+k]` after.
    ///
    /// Opset ≥ 11 reads inputs (data, pads int64, constant_value?, axes?); earlier opsets the attributes
    /// `pads` (`paddings` in opset 1) and `value`. With `axes` (opset 18) pads lists only those axes.
    static func pad(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let mode = try ctx.node.string("mode", default: "constant")
        guard let rule = modes[mode] else { throw ctx.unsupported("mode", mode) }
        let listed: [Int]
        var fill = Tensor(zeros: data.dtype, shape: [])
        if ctx.opset < 11 {
            listed = try ctx.node.ints(ctx.opset < 2 ? "paddings" : "pads") ?? []
            if let v = try ctx.node.float("value") { fill = Tensor(scalar: v).converted(to: data.dtype) }
        } else {
            listed = try DataMovement.indexInput(ctx, 1, "pads")
            if let value = ctx.optionalInput(2) {
                guard value.dtype == data.dtype, value.count == 1 else {
                    throw ctx.invalid("constant_value must be one \(data.dtype) element, got \(value.dtype) \(value.shape)")
                }
                fill = try value.reshaped([])
            }
        }
        let axes = try DataMovement.optionalIndexInput(ctx, 3, "axes") ?? Array(0..<data.rank)
        guard listed.count == 2 * axes.count else {
            throw ctx.invalid("pads \(listed) must hold 2 values for each of the \(axes.count) padded axes")
        }
        var begin = Array(repeating: 0, count: data.rank), end = begin
        for (i, a) in axes.enumerated() {
            let axis = try DataMovement.axis(a, rank: data.rank, ctx, "axes entry")
            begin[axis] = listed[i]
            end[axis] = listed[axes.count + i]
        }
        var indices: [[Int]] = []
        for (k, d) in data.shape.enumerated() {
            let length = d.addingReportingOverflow(begin[k]).partialValue.addingReportingOverflow(end[k])
            guard !length.overflow, length.partialValue >= 0, begin[k].magnitude <= UInt(DataMovement.maxElements),
                  end[k].magnitude <= UInt(DataMovement.maxElements), length.partialValue <= DataMovement.maxElements else {
                throw ctx.invalid("pads \(listed) give axis \(k) of size \(d) a negative or too large size")
            }
            let grows = begin[k] > 0 || end[k] > 0
            guard d > 0 || !grows || mode == "constant" else {
                throw ctx.invalid("\(mode) padding needs a non-empty axis \(k), shape is \(data.shape)")
            }
            indices.append((0..<length.partialValue).map { rule($0 - begin[k], d) })
        }
        return [try data.gathered(AxisGather(sourceShape: data.shape, indices: indices), fill: fill, threads: ctx.threads)]
    }

    /// CenterCropPad: each listed axis (default all) becomes `shape[i]` long, centred: a longer axis is
    /// cropped from offset `(d − s) / 2`, a shorter one padded with zeros before by `(s − d) / 2` (both rounded
    /// down), so the source index of output `i` is `i + (d − s) / 2` with the division truncating toward zero.
    static func centerCropPad(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let sizes = try DataMovement.indexInput(ctx, 1, "shape")
        let axes = try (ctx.node.ints("axes") ?? Array(0..<data.rank)).map {
            try DataMovement.axis($0, rank: data.rank, ctx, "axes entry")
        }
        guard sizes.count == axes.count, Set(axes).count == axes.count, sizes.allSatisfy({ $0 >= 0 && $0 <= DataMovement.maxElements }) else {
            throw ctx.invalid("shape \(sizes) must hold one non-negative size for each of the distinct axes \(axes)")
        }
        var indices = data.shape.map { Array(0..<$0) }
        for (axis, s) in zip(axes, sizes) {
            let d = data.shape[axis], shift = (d - s) / 2
            indices[axis] = (0..<s).map { (0..<d).contains($0 + shift) ? $0 + shift : -1 }
        }
        let zero = Tensor(zeros: data.dtype, shape: [])
        return [try data.gathered(AxisGather(sourceShape: data.shape, indices: indices), fill: zero, threads: ctx.threads)]
    }
}
