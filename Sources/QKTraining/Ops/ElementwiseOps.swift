extension TrainingOps {
    static let elementwiseOps: [String: OpRule] = [
        "Add": OpRule(forward: { try binary($0, $1, multiply: false) }, learnableInputs: [0, 1]),
        "Mul": OpRule(forward: { try binary($0, $1, multiply: true) }, learnableInputs: [0, 1]),
        "Relu": OpRule(forward: relu, learnableInputs: []),
        "Clip": OpRule(forward: clip, learnableInputs: []),
        "Identity": OpRule(forward: identity, learnableInputs: []),
    ]

    /// Add: y = a + b, da = Σ_broadcast dy, db = Σ_broadcast dy.
    /// Mul: y = a · b, da = Σ_broadcast dy · b, db = Σ_broadcast dy · a.
    static func binary(_ ctx: OpContext, _ inputs: [TrainTensor?], multiply: Bool) throws -> OpResult {
        let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw ctx.invalid("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let mapA = try BroadcastMap(input: a.shape, output: shape, ctx: ctx)
        let mapB = try BroadcastMap(input: b.shape, output: shape, ctx: ctx)
        let count = shape.reduce(1, *)
        var y = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let (u, v) = (a.values[mapA.index(i)], b.values[mapB.index(i)])
            y[i] = multiply ? u * v : u + v
        }
        return OpResult(TrainTensor(shape: shape, values: y)) { dy, needs in
            func gradient(_ map: BroadcastMap, other: TrainTensor, otherMap: BroadcastMap, shape: [Int]) -> TrainTensor {
                guard multiply else { return TrainTensor(shape: shape, values: map.reduce(dy.values)) }
                var product = dy.values
                for i in 0..<count { product[i] *= other.values[otherMap.index(i)] }
                return TrainTensor(shape: shape, values: map.reduce(product))
            }
            return [needs[0] ? gradient(mapA, other: b, otherMap: mapB, shape: a.shape) : nil,
                    needs[1] ? gradient(mapB, other: a, otherMap: mapA, shape: b.shape) : nil]
        }
    }

    /// Relu: y = max(x, 0), dx = dy where x > 0.
    static func relu(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        try clamp(ctx, inputs, low: 0, high: .infinity)
    }

    /// Clip: y = min(max(x, low), high) with bounds from attributes (opset < 11) or constant inputs 1 and 2;
    /// dx = dy where low < x < high (0 at and beyond the bounds).
    static func clip(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        func bound(_ index: Int, _ attribute: String, _ fallback: Float) throws -> Float {
            if let value = try ctx.node.float(attribute) { return value }
            guard index < ctx.node.inputs.count, !ctx.node.inputs[index].isEmpty else { return fallback }
            if let value = ctx.optionalInput(inputs, index), value.count == 1 { return value.values[0] }
            throw ctx.invalid("Clip bound '\(ctx.node.inputs[index])' must be a constant scalar")
        }
        return try clamp(ctx, inputs, low: bound(1, "min", -.infinity), high: bound(2, "max", .infinity))
    }

    private static func clamp(_ ctx: OpContext, _ inputs: [TrainTensor?], low: Float, high: Float) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        let y = x.values.map { Swift.min(Swift.max($0, low), high) }
        return OpResult(TrainTensor(shape: x.shape, values: y)) { dy, needs in
            guard needs[0] else { return Array(repeating: nil, count: inputs.count) }
            var dx = dy.values
            for i in 0..<dx.count where !(x.values[i] > low && x.values[i] < high) { dx[i] = 0 }
            return [TrainTensor(shape: x.shape, values: dx)] + Array(repeating: nil, count: inputs.count - 1)
        }
    }

    /// Identity: y = x, dx = dy.
    static func identity(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        return OpResult(x) { dy, _ in [dy] }
    }
}
