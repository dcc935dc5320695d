extension TrainingOps {
    static let layerNormalizationOps: [String: OpRule] = [
        "LayerNormalization": OpRule(forward: layerNormalization, learnableInputs: [1, 2]),
    ]

    /// LayerNormalization over the axes from `axis` (default −1) to the last: each of the rows of D = ∏ shape[axis…]
    /// values has μ = mean, σ² = biased variance, r = 1/√(σ² + ε), x̂ = (x − μ) · r and y = γ ⊙ x̂ + β (γ, β with
    /// D values, or one value broadcast). Backward, per row:
    ///
    ///     dx̂ = dy ⊙ γ,   dx = r / D · (D · dx̂ − Σ dx̂ − x̂ · Σ dx̂ ⊙ x̂),   dγ = Σ_rows dy ⊙ x̂,   dβ = Σ_rows dy
    ///
    /// The optional Mean and InvStdDev outputs are not produced.
    static func layerNormalization(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0), gamma = try ctx.input(inputs, 1)
        let beta = ctx.optionalInput(inputs, 2)
        var axis = try ctx.node.int("axis", default: -1)
        if axis < 0 { axis += x.rank }
        guard x.shape.indices.contains(axis) else {
            throw ctx.invalid("LayerNormalization axis is out of range for \(x.shape)")
        }
        let size = x.shape[axis...].reduce(1, *), rows = x.count / max(size, 1)
        for (name, value) in [("scale", gamma), ("bias", beta)] {
            guard let value, value.count != size, value.count != 1 else { continue }
            throw ctx.invalid("LayerNormalization \(name) has \(value.count) values, expected \(size) (∏ \(Array(x.shape[axis...])))")
        }
        func g(_ k: Int) -> Float { gamma.values[gamma.count == 1 ? 0 : k] }
        let epsilon = try ctx.node.float("epsilon", default: 1e-5)
        var xHat = [Float](repeating: 0, count: x.count), y = xHat
        var inverse = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let base = row * size
            var sum = 0.0
            for k in 0..<size { sum += Double(x.values[base + k]) }
            let mean = sum / Double(size)
            var squares = 0.0
            for k in 0..<size {
                let d = Double(x.values[base + k]) - mean
                squares += d * d
            }
            let r = Float(1 / (squares / Double(size) + Double(epsilon)).squareRoot())
            inverse[row] = r
            for k in 0..<size {
                xHat[base + k] = (x.values[base + k] - Float(mean)) * r
                y[base + k] = g(k) * xHat[base + k] + (beta.map { $0.values[$0.count == 1 ? 0 : k] } ?? 0)
            }
        }
        return OpResult(TrainTensor(shape: x.shape, values: y)) { dy, needs in
            var grads: [TrainTensor?] = Array(repeating: nil, count: needs.count)
            var dGamma = [Float](repeating: 0, count: gamma.count)
            var dBeta = [Float](repeating: 0, count: beta?.count ?? 0)
            var dx = [Float](repeating: 0, count: x.count)
            for row in 0..<rows {
                let base = row * size
                var sum: Float = 0, dot: Float = 0
                for k in 0..<size {
                    let d = dy.values[base + k] * g(k)
                    sum += d
                    dot += d * xHat[base + k]
                    dGamma[gamma.count == 1 ? 0 : k] += dy.values[base + k] * xHat[base + k]
                    if !dBeta.isEmpty { dBeta[dBeta.count == 1 ? 0 : k] += dy.values[base + k] }
                }
                let scale = inverse[row] / Float(size)
                for k in 0..<size {
                    let d = dy.values[base + k] * g(k)
                    dx[base + k] = scale * (Float(size) * d - sum - xHat[base + k] * dot)
                }
            }
            if needs[0] { grads[0] = TrainTensor(shape: x.shape, values: dx) }
            if needs.count > 1, needs[1] { grads[1] = TrainTensor(shape: gamma.shape, values: dGamma) }
            if needs.count > 2, needs[2], let beta { grads[2] = TrainTensor(shape: beta.shape, values: dBeta) }
            return grads
        }
    }
}
