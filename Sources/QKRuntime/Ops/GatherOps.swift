import QKGraph
import QKTensor

enum GatherKernels {
    /// Gather: `out[a…, j…, b…] = data[a…, indices[j…], b…]` along `axis`; negative indices count from the back.
    /// Output shape: `data.shape[..<axis] + indices.shape + data.shape[axis+1...]`.
    static func gather(_ ctx: KernelContext) throws -> [Tensor] {
        [try gather(ctx, axis: try ctx.node.int("axis", default: 0))]
    }

    /// Gather with the `axis` attribute already read. The output is `outer` blocks (the axes before `axis`), each
    /// the picked `inner`-element slices (the axes after it) one after another, so it is built by block copies.
    static func gather(_ ctx: KernelContext, axis given: Int) throws -> Tensor {
        let data = try ctx.input(0)
        let indexTensor = try ctx.input(1)
        let raw = try DataMovement.indexInput(ctx, 1, "indices")
        guard data.rank > 0 else { throw ctx.invalid("data must have rank ≥ 1") }
        let axis = try DataMovement.axis(given, rank: data.rank, ctx)
        let dim = data.shape[axis]
        let picked = try wrap(raw, dim: dim, ctx)
        let shape = Array(data.shape[..<axis]) + indexTensor.shape + Array(data.shape[(axis + 1)...])
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        let gathered = data.refilled(shape: shape, count: outer * picked.count * inner) { source, destination, size in
            let block = inner * size
            var out = destination
            for o in 0..<outer {
                let slab = source + o * dim * block
                for index in picked {
                    out.copyMemory(from: slab + index * block, byteCount: block)
                    out += block
                }
            }
        }
        if let gathered { return gathered }
        var indices = data.shape.map { Array(0..<$0) }
        indices[axis] = picked
        let flat = try data.gathered(AxisGather(sourceShape: data.shape, indices: indices), threads: ctx.threads)
        return try flat.reshaped(shape)
    }

    /// GatherElements: `out[i] = data[i with i[axis] replaced by indices[i]]`; output has the indices' shape,
    /// which must match data's rank (and not exceed its dims off `axis`).
    static func gatherElements(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let indexTensor = try ctx.input(1)
        let raw = try DataMovement.indexInput(ctx, 1, "indices")
        guard data.rank > 0, indexTensor.rank == data.rank else {
            throw ctx.invalid("indices rank \(indexTensor.rank) must equal data rank \(data.rank) (≥ 1)")
        }
        let axis = try DataMovement.axis(try ctx.node.int("axis", default: 0), rank: data.rank, ctx)
        for k in 0..<data.rank where k != axis && indexTensor.shape[k] > data.shape[k] {
            throw ctx.invalid("indices shape \(indexTensor.shape) exceeds data shape \(data.shape) on axis \(k)")
        }
        let picked = try wrap(raw, dim: data.shape[axis], ctx)
        let strides = data.strides
        var index = Array(repeating: 0, count: data.rank)
        var offsets = [Int](repeating: 0, count: raw.count)
        for i in 0..<raw.count {
            var offset = 0
            for k in 0..<data.rank { offset += (k == axis ? picked[i] : index[k]) * strides[k] }
            offsets[i] = offset
            DataMovement.increment(&index, in: indexTensor.shape)
        }
        return [try data.takingBlocks(at: offsets, size: 1, shape: indexTensor.shape)]
    }

    /// GatherND: each index tuple (the last indices dim, length k) selects `data[batch…, tuple…]`, a block of
    /// shape `data.shape[batch_dims+k...]`. Output shape: `indices.shape[..<q-1] + data.shape[batch_dims+k...]`.
    static func gatherND(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let indexTensor = try ctx.input(1)
        let raw = try DataMovement.indexInput(ctx, 1, "indices")
        let b = try ctx.node.int("batch_dims", default: 0)
        let q = indexTensor.rank
        guard q >= 1, b >= 0, b < q, b <= data.rank, Array(data.shape.prefix(b)) == Array(indexTensor.shape.prefix(b)),
              let k = indexTensor.shape.last, b + k <= data.rank else {
            throw ctx.invalid("indices shape \(indexTensor.shape) does not fit data shape \(data.shape) with batch_dims \(b)")
        }
        let strides = data.strides
        let block = data.shape[(b + k)...].reduce(1, *)
        let tuples = indexTensor.shape.dropLast().reduce(1, *)
        let perBatch = max(indexTensor.shape[b..<(q - 1)].reduce(1, *), 1)
        let batchStride = b == 0 ? 0 : strides[b - 1]
        var starts = [Int](repeating: 0, count: tuples)
        for t in 0..<tuples {
            var offset = (t / perBatch) * batchStride
            for j in 0..<k {
                let dim = data.shape[b + j]
                let v = raw[t * k + j]
                let idx = v < 0 ? v + dim : v
                guard (0..<dim).contains(idx) else { throw ctx.invalid("index \(v) is out of range for dim \(dim)") }
                offset += idx * strides[b + j]
            }
            starts[t] = offset
        }
        let shape = Array(indexTensor.shape.dropLast()) + Array(data.shape[(b + k)...])
        return [try data.takingBlocks(at: starts, size: block, shape: shape)]
    }

    /// `indices` with negative values wrapped by `dim`; throws for any outside `-dim..<dim`.
    private static func wrap(_ indices: [Int], dim: Int, _ ctx: KernelContext) throws -> [Int] {
        try indices.map { v in
            let i = v < 0 ? v + dim : v
            guard (0..<dim).contains(i) else { throw ctx.invalid("index \(v) is out of range for axis size \(dim)") }
            return i
        }
    }
}

extension Tensor {
    /// `size` consecutive elements from each flat offset in `starts`, in order, as a tensor of `shape`.
    func takingBlocks(at starts: [Int], size: Int, shape: [Int]) throws -> Tensor {
        guard starts.allSatisfy({ $0 >= 0 && $0 + size <= count }), starts.count * size == shape.reduce(1, *) else {
            throw LayoutError.planOutOfRange(shape: shape, sourceCount: count)
        }
        return try rebuilt(shape: shape) { src, dst, elementSize in
            guard let from = src.baseAddress, let to = dst.baseAddress else { return }
            let bytes = size * elementSize
            for (i, start) in starts.enumerated() {
                (to + i * bytes).copyMemory(from: from + start * elementSize, byteCount: bytes)
            }
        }
    }
}
