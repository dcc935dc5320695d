import QKGraph
import QKTensor

extension OpTable {
    /// Ops that move elements without arithmetic (Resize interpolates but belongs with them).
    static let movementKernels: [String: OpKernel] = [
        "Transpose": { try MovementKernels.transpose($0) },
        "Concat": { try MovementKernels.concat($0) },
        "Split": { try MovementKernels.split($0) },
        "Tile": { try MovementKernels.tile($0) },
        "DepthToSpace": { try MovementKernels.depthToSpace($0) },
        "SpaceToDepth": { try MovementKernels.spaceToDepth($0) },
        "Slice": { try SliceKernel.slice($0) },
        "Gather": { try GatherKernels.gather($0) },
        "GatherElements": { try GatherKernels.gatherElements($0) },
        "GatherND": { try GatherKernels.gatherND($0) },
        "Pad": { try PadKernel.pad($0) },
        "CenterCropPad": { try PadKernel.centerCropPad($0) },
        "Resize": { try ResizeKernel.resize($0) },
        "Upsample": { try ResizeKernel.upsample($0) },
    ]
}

enum MovementKernels {
    /// Transpose: `out.shape[k] = in.shape[perm[k]]`; perm defaults to the reversed axes.
    static func transpose(_ ctx: KernelContext) throws -> [Tensor] {
        [try transpose(ctx.input(0), perm: try ctx.node.ints("perm"), ctx)]
    }

    /// Transpose with the `perm` attribute already read (nil when absent); small tensors of at most four axes are
    /// copied through a ``StridedView``.
    static func transpose(_ data: Tensor, perm given: [Int]?, _ ctx: KernelContext) throws -> Tensor {
        let perm = given ?? Array((0..<data.rank).reversed())
        guard isPermutation(perm, rank: data.rank) else {
            throw ctx.invalid("perm \(perm) is not a permutation of the \(data.rank) axes")
        }
        if let small = StridedView.transposed(data, perm) { return small }
        if let moved = try transposeKeepingLastAxis(data, perm) { return moved }
        return try data.transposed(perm, threads: ctx.threads)
    }

    /// True when `perm` holds each of `0..<rank` once.
    private static func isPermutation(_ perm: [Int], rank: Int) -> Bool {
        guard perm.count == rank else { return false }
        guard rank <= 64 else { return perm.sorted() == Array(0..<rank) }
        var seen: UInt64 = 0
        for axis in perm {
            guard (0..<rank).contains(axis), seen & (1 << UInt64(axis)) == 0 else { return false }
            seen |= 1 << UInt64(axis)
        }
        return true
    }

    /// Transpose when, after merging axes that stay adjacent, the last axis stays last (e.g. [0, 2, 1, 3], the
    /// attention head split): every output row is one block copy of a source row, found by walking the outer
    /// axes with running offsets. Nil for other permutations (and when nothing moves).
    private static func transposeKeepingLastAxis(_ data: Tensor, _ perm: [Int]) throws -> Tensor? {
        let (shape, merged) = DataMovement.mergeAxes(shape: data.shape, perm: perm)
        guard merged.count >= 2, merged.last == merged.count - 1, data.count > 0 else { return nil }
        let strides = Tensor.strides(for: shape)
        let outer = merged.dropLast().map { shape[$0] }, outerStrides = merged.dropLast().map { strides[$0] }
        let inner = shape[shape.count - 1], rows = outer.reduce(1, *)
        return try data.rebuilt(shape: perm.map { data.shape[$0] }) { src, dst, size in
            guard let source = src.baseAddress, let target = dst.baseAddress else { return }
            let rowBytes = inner * size
            var index = [Int](repeating: 0, count: outer.count), offset = 0
            for row in 0..<rows {
                (target + row * rowBytes).copyMemory(from: source + offset * size, byteCount: rowBytes)
                var axis = outer.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += outerStrides[axis]
                    if index[axis] < outer[axis] { break }
                    offset -= outerStrides[axis] * outer[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// Concat: inputs joined along `axis` (negative counts from the back); all other dims must agree.
    static func concat(_ ctx: KernelContext) throws -> [Tensor] {
        let parts = try (0..<ctx.inputs.count).map { try ctx.input($0) }
        guard let first = parts.first else { throw ctx.invalid("needs at least one input") }
        guard first.rank > 0 else { throw ctx.invalid("cannot concatenate scalars") }
        let axis = try DataMovement.axis(try ctx.node.required("axis", ctx.node.int), rank: first.rank, ctx)
        for (i, part) in parts.enumerated() {
            guard part.dtype == first.dtype else { throw ctx.invalid("input #\(i) is \(part.dtype), input #0 is \(first.dtype)") }
            var a = part.shape, b = first.shape
            guard a.count == b.count else { throw ctx.invalid("input #\(i) has shape \(part.shape), input #0 \(first.shape)") }
            a[axis] = 0
            b[axis] = 0
            guard a == b else { throw ctx.invalid("input #\(i) has shape \(part.shape), input #0 \(first.shape): only axis \(axis) may differ") }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let blocks = parts.map { $0.shape[axis...].reduce(1, *) }
        let outer = shape[..<axis].reduce(1, *)
        let others = parts.dropFirst().map(\.storage)
        // Block o of input i lands after block o of inputs 0..<i (an empty input's pointer is never read).
        let copy = { (head: UnsafeRawPointer, to: UnsafeMutableRawPointer, elementSize: Int) in
            TensorStorage.withElementBytes(of: others[...]) { rest in
                var written = 0
                for o in 0..<outer {
                    for (index, block) in blocks.enumerated() where block > 0 {
                        let bytes = block * elementSize
                        let source = index == 0 ? head : rest[index - 1].baseAddress!
                        (to + written).copyMemory(from: source + o * bytes, byteCount: bytes)
                        written += bytes
                    }
                }
            }
        }
        if let joined = first.refilled(shape: shape, count: outer * blocks.reduce(0, +), copy) { return [joined] }
        return [try first.rebuilt(shape: shape) { _, _, _ in }]  // empty: nothing to copy
    }

    /// Split: consecutive pieces along `axis`. Sizes come from the `split` attribute (before opset 13) or input
    /// (13+); else `num_outputs` (18+) pieces of `ceil(d / n)` with a smaller last one; else equal pieces,
    /// one per output.
    static func split(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        guard data.rank > 0 else { throw ctx.invalid("cannot split a scalar") }
        let axis = try DataMovement.axis(try ctx.node.int("axis", default: 0), rank: data.rank, ctx)
        let dim = data.shape[axis]
        let outputs = ctx.node.outputs.count
        var sizes: [Int]
        if let given = ctx.opset < 13 ? try ctx.node.ints("split") : try DataMovement.optionalIndexInput(ctx, 1, "split") {
            sizes = given
        } else if let n = try ctx.node.int("num_outputs") {
            guard n > 0, n == outputs else { throw ctx.invalid("num_outputs \(n) must be positive and match the \(outputs) outputs") }
            let chunk = (dim + n - 1) / n
            sizes = (0..<n).map { max(0, min(chunk, dim - $0 * chunk)) }
        } else {
            guard outputs > 0, dim % outputs == 0 else {
                throw ctx.invalid("axis \(axis) of size \(dim) does not split evenly into \(outputs) outputs")
            }
            sizes = Array(repeating: dim / outputs, count: outputs)
        }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == dim else {
            throw ctx.invalid("split sizes \(sizes) do not add up to axis \(axis) size \(dim)")
        }
        var start = 0
        return try sizes.map { length in
            defer { start += length }
            return try data.slicedAxis(axis, from: start, count: length, threads: ctx.threads)
        }
    }

    /// Tile: `out.shape[k] = in.shape[k]·repeats[k]`, `out[i] = in[i mod in.shape]`.
    static func tile(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let repeats = try DataMovement.indexInput(ctx, 1, "repeats")
        guard repeats.count == data.rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw ctx.invalid("repeats \(repeats) must hold \(data.rank) non-negative values")
        }
        let products = zip(data.shape, repeats).map { $0.multipliedReportingOverflow(by: $1) }
        let shape = products.map(\.partialValue)
        guard products.allSatisfy({ !$0.overflow }), DataMovement.elementCount(shape) != nil else {
            throw ctx.invalid("tiling \(data.shape) by \(repeats) is too large")
        }
        let strides = data.strides
        let offsets = (0..<data.rank).map { k in (0..<shape[k]).map { ($0 % data.shape[k]) * strides[k] } }
        return [try data.gathered(AxisGather(shape: shape, offsets: offsets), threads: ctx.threads)]
    }

    /// DepthToSpace: `[N, C, H, W] → [N, C/b², H·b, W·b]`; DCR reads channels as (b, b, C/b²), CRD as (C/b², b, b).
    static func depthToSpace(_ ctx: KernelContext) throws -> [Tensor] {
        let (data, b) = try blockInput(ctx)
        let (n, c, h, w) = (data.shape[0], data.shape[1], data.shape[2], data.shape[3])
        guard c % (b * b) == 0 else { throw ctx.invalid("channels \(c) are not divisible by blocksize² \(b * b)") }
        let mode = try ctx.node.string("mode", default: "DCR")
        let moved: Tensor
        switch mode {
        case "DCR": moved = try data.reshaped([n, b, b, c / (b * b), h, w]).transposed([0, 3, 4, 1, 5, 2], threads: ctx.threads)
        case "CRD": moved = try data.reshaped([n, c / (b * b), b, b, h, w]).transposed([0, 1, 4, 2, 5, 3], threads: ctx.threads)
        default: throw ctx.unsupported("mode", mode)
        }
        return [try moved.reshaped([n, c / (b * b), h * b, w * b])]
    }

    /// SpaceToDepth: `[N, C, H, W] → [N, C·b², H/b, W/b]`, the inverse of DepthToSpace in the same mode.
    static func spaceToDepth(_ ctx: KernelContext) throws -> [Tensor] {
        let (data, b) = try blockInput(ctx)
        let (n, c, h, w) = (data.shape[0], data.shape[1], data.shape[2], data.shape[3])
        guard h % b == 0, w % b == 0 else { throw ctx.invalid("spatial dims \(h)×\(w) are not divisible by blocksize \(b)") }
        let blocks = try data.reshaped([n, c, h / b, b, w / b, b])
        let mode = try ctx.node.string("mode", default: "DCR")
        let moved: Tensor
        switch mode {
        case "DCR": moved = try blocks.transposed([0, 3, 5, 1, 2, 4], threads: ctx.threads)
        case "CRD": moved = try blocks.transposed([0, 1, 3, 5, 2, 4], threads: ctx.threads)
        default: throw ctx.unsupported("mode", mode)
        }
        return [try moved.reshaped([n, c * b * b, h / b, w / b])]
    }

    private static func blockInput(_ ctx: KernelContext) throws -> (Tensor, Int) {
        let data = try ctx.input(0)
        guard data.rank == 4 else { throw ctx.invalid("input must be 4-D [N, C, H, W], got shape \(data.shape)") }
        let b = try ctx.node.required("blocksize", ctx.node.int)
        guard b > 0, b <= max(data.shape[1], data.shape[2], data.shape[3]) else {
            throw ctx.invalid("blocksize \(b) must be positive and fit the input shape \(data.shape)")
        }
        return (data, b)
    }
}

extension Tensor {
    /// Elements `from ..< from + count` along `axis`, all of every other axis (bounds must be valid).
    func slicedAxis(_ axis: Int, from start: Int, count length: Int, threads: Int = 1) throws -> Tensor {
        let indices = shape.enumerated().map { k, d in k == axis ? Array(start..<start + length) : Array(0..<d) }
        return try gathered(AxisGather(sourceShape: shape, indices: indices), threads: threads)
    }
}
