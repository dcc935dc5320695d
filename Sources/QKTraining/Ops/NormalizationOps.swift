import Foundation

extension TrainingOps {
    static let normalizationOps: [String: OpRule] = [
        "BatchNormalization": OpRule(forward: batchNormalization, learnableInputs: [1, 2]),
        "Softmax": OpRule(forward: softmax, learnableInputs: []),
    ]

    /// BatchNormalization over X [N, C, …] per channel c, x̂ = (x − μ_c) / √(σ²_c + ε), y = γ_c · x̂ + β_c.
    ///
    /// Training with batch statistics (`trainBatchNorm`): μ, σ² are the batch mean and (biased) variance over N and
    /// the spatial axes, the running statistics become momentum · running + (1 − momentum) · batch (ONNX's
    /// `momentum`, default 0.9), and with m values per channel
    ///
    ///     dx = (1 / (m·√(σ²+ε))) · (m · dx̂ − Σ dx̂ − x̂ · Σ dx̂ · x̂),  dx̂ = dy · γ
    ///
    /// Otherwise (evaluation, or frozen statistics) μ, σ² are the running values and dx = dy · γ / √(σ² + ε).
    /// In both cases dγ = Σ dy · x̂ and dβ = Σ dy.
    static func batchNormalization(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        guard x.rank >= 2 else { throw ctx.invalid("BatchNormalization needs [N, C, …], got \(x.shape)") }
        let channels = x.shape[1], spatial = x.count / max(x.shape[0] * channels, 1), batch = x.shape[0]
        let parameters = try (1...4).map { index -> TrainTensor in
            let value = try ctx.input(inputs, index)
            guard value.count == channels else {
                throw ctx.invalid("input \(index) has \(value.count) values, expected \(channels) (one per channel)")
            }
            return value
        }
        let (gamma, beta, runningMean, runningVar) = (parameters[0], parameters[1], parameters[2], parameters[3])
        let epsilon = try ctx.node.float("epsilon", default: 1e-5)
        let momentum = try ctx.node.float("momentum", default: 0.9)
        let useBatch = ctx.training && ctx.trainBatchNorm
        var mean = runningMean.values, variance = runningVar.values
        var updates: [String: TrainTensor] = [:]
        let m = Float(batch * spatial)
        if useBatch {
            for c in 0..<channels {
                var sum: Double = 0, squares: Double = 0
                forEachChannelValue(c, batch: batch, channels: channels, spatial: spatial) { i in
                    sum += Double(x.values[i])
                }
                let mu = sum / Double(m)
                forEachChannelValue(c, batch: batch, channels: channels, spatial: spatial) { i in
                    let d = Double(x.values[i]) - mu
                    squares += d * d
                }
                mean[c] = Float(mu)
                variance[c] = Float(squares / Double(m))
            }
            let names = ctx.node.inputs
            updates[names[3]] = TrainTensor(shape: runningMean.shape,
                                            values: zip(runningMean.values, mean).map { momentum * $0 + (1 - momentum) * $1 })
            updates[names[4]] = TrainTensor(shape: runningVar.shape,
                                            values: zip(runningVar.values, variance).map { momentum * $0 + (1 - momentum) * $1 })
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var xHat = [Float](repeating: 0, count: x.count), y = xHat
        for block in 0..<(batch * channels) {
            let c = block % channels
            for i in (block * spatial)..<((block + 1) * spatial) {
                xHat[i] = (x.values[i] - mean[c]) * invStd[c]
                y[i] = gamma.values[c] * xHat[i] + beta.values[c]
            }
        }
        var result = OpResult(TrainTensor(shape: x.shape, values: y)) { dy, needs in
            var dGamma = [Float](repeating: 0, count: channels), dBeta = dGamma
            for block in 0..<(batch * channels) {
                let c = block % channels
                for i in (block * spatial)..<((block + 1) * spatial) {
                    dGamma[c] += dy.values[i] * xHat[i]
                    dBeta[c] += dy.values[i]
                }
            }
            var grads: [TrainTensor?] = Array(repeating: nil, count: inputs.count)
            if needs[0] {
                var dx = [Float](repeating: 0, count: x.count)
                for block in 0..<(batch * channels) {
                    let c = block % channels
                    let scale = gamma.values[c] * invStd[c]
                    for i in (block * spatial)..<((block + 1) * spatial) {
                        dx[i] = useBatch
                            ? scale / m * (m * dy.values[i] - dBeta[c] - xHat[i] * dGamma[c])
                            : scale * dy.values[i]
                    }
                }
                grads[0] = TrainTensor(shape: x.shape, values: dx)
            }
            if needs[1] { grads[1] = TrainTensor(shape: gamma.shape, values: dGamma) }
            if needs[2] { grads[2] = TrainTensor(shape: beta.shape, values: dBeta) }
            return grads
        }
        result.stateUpdates = updates
        return result
    }

    private static func forEachChannelValue(_ c: Int, batch: Int, channels: Int, spatial: Int, _ body: (Int) -> Void) {
        for image in 0..<batch {
            let base = (image * channels + c) * spatial
            for i in base..<(base + spatial) { body(i) }
        }
    }

    /// Softmax along `axis` (default −1): y = exp(x − max) / Σ exp(x − max); dx = y · (dy − Σ dy · y).
    static func softmax(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        var axis = try ctx.node.int("axis", default: -1)
        if axis < 0 { axis += x.rank }
        guard x.shape.indices.contains(axis) else { throw ctx.invalid("Softmax axis is out of range for \(x.shape)") }
        let (outer, size) = (x.shape[..<axis].reduce(1, *), x.shape[axis])
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        var y = x.values
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * size * inner + j
                var peak = -Float.infinity
                for k in 0..<size { peak = max(peak, x.values[base + k * inner]) }
                var total: Float = 0
                for k in 0..<size {
                    let e = Foundation.exp(x.values[base + k * inner] - peak)
                    y[base + k * inner] = e
                    total += e
                }
                for k in 0..<size { y[base + k * inner] /= total }
            }
        }
        return OpResult(TrainTensor(shape: x.shape, values: y)) { dy, _ in
            var dx = dy.values
            for o in 0..<outer {
                for j in 0..<inner {
                    let base = o * size * inner + j
                    var dot: Float = 0
                    for k in 0..<size { dot += dy.values[base + k * inner] * y[base + k * inner] }
                    for k in 0..<size { dx[base + k * inner] = y[base + k * inner] * (dy.values[base + k * inner] - dot) }
                }
            }
            return [TrainTensor(shape: x.shape, values: dx)]
        }
    }
}
