extension TrainingOps {
    static let layoutOps: [String: OpRule] = [
        "Concat": OpRule(forward: concat, learnableInputs: []),
        "Transpose": OpRule(forward: transpose, learnableInputs: []),
        "Dropout": OpRule(forward: dropout, learnableInputs: []),
    ]

    /// Concat along `axis` (negative from the end): the inputs' slabs of shape[axis] · inner values follow one
    /// another for each outer index; each input's gradient is its slab of dy.
    static func concat(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let parts = try inputs.indices.map { try ctx.input(inputs, $0) }
        guard let first = parts.first else { throw ctx.invalid("Concat needs at least one input") }
        guard var axis = try ctx.node.int("axis") else { throw ctx.invalid("Concat needs an axis attribute") }
        if axis < 0 { axis += first.rank }
        guard first.shape.indices.contains(axis) else { throw ctx.invalid("Concat axis is out of range for \(first.shape)") }
        for part in parts where part.rank != first.rank
            || zip(part.shape, first.shape).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
            throw ctx.invalid("Concat inputs \(parts.map(\.shape)) differ outside axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let widths = parts.map { $0.shape[axis] * inner }, total = widths.reduce(0, +)
        let offsets = widths.indices.map { widths[..<$0].reduce(0, +) }
        var y = [Float](repeating: 0, count: outer * total)
        for (part, (width, offset)) in zip(parts, zip(widths, offsets)) {
            for o in 0..<outer {
                y.replaceSubrange(o * total + offset..<o * total + offset + width,
                                  with: part.values[o * width..<(o + 1) * width])
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        return OpResult(TrainTensor(shape: shape, values: y)) { dy, needs in
            zip(parts, needs).enumerated().map { index, pair -> TrainTensor? in
                guard pair.1 else { return nil }
                let (width, offset) = (widths[index], offsets[index])
                var dx: [Float] = []
                dx.reserveCapacity(outer * width)
                for o in 0..<outer { dx += dy.values[o * total + offset..<o * total + offset + width] }
                return TrainTensor(shape: pair.0.shape, values: dx)
            }
        }
    }

    /// Transpose by `perm` (default: the axes reversed), y.shape[i] = x.shape[perm[i]]; dx = dy transposed by
    /// the inverse permutation.
    static func transpose(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        let perm = try ctx.node.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.sorted() == Array(0..<x.rank) else {
            throw ctx.invalid("Transpose perm \(perm) is not a permutation of the \(x.rank) axes of \(x.shape)")
        }
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return OpResult(permuted(x, perm)) { dy, _ in [permuted(dy, inverse)] }
    }

    /// `x` with its axes reordered: result axis i is x's axis perm[i].
    static func permuted(_ x: TrainTensor, _ perm: [Int]) -> TrainTensor {
        let shape = perm.map { x.shape[$0] }
        var strides = [Int](repeating: 1, count: x.rank)
        for axis in stride(from: x.rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.shape[axis + 1] }
        let sourceStrides = perm.map { strides[$0] }
        var y = [Float](repeating: 0, count: x.count)
        var index = [Int](repeating: 0, count: x.rank)
        var source = 0
        for i in 0..<x.count {
            y[i] = x.values[source]
            var axis = x.rank - 1
            while axis >= 0 {
                index[axis] += 1
                source += sourceStrides[axis]
                if index[axis] < shape[axis] { break }
                source -= sourceStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return TrainTensor(shape: shape, values: y)
    }

    /// Dropout is the identity here, in training steps as in evaluation (dropout off: y = x, dx = dy), as ONNX
    /// defines it for inference; fine-tuning and QAT of a pretrained model run without dropping. The optional
    /// mask output is not produced.
    static func dropout(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        return OpResult(x) { dy, needs in [dy] + Array(repeating: nil, count: needs.count - 1) }
    }
}
