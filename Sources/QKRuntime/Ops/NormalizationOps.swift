import QKTensor

/// BatchNormalization (inference), LayerNormalization, RMSNormalization, InstanceNormalization,
/// GroupNormalization, LpNormalization and MeanVarianceNormalization. Each computes in `Float` (float32/float16/bfloat16 input) or
/// `Double` (float64) and returns Y in the input's dtype.
extension OpTable {
    static let normalizationKernels: [String: OpKernel] = [
        "BatchNormalization": { try batchNormalization($0) },
        "LayerNormalization": { try layerNormalization($0, centered: true) },
        "RMSNormalization": { try layerNormalization($0, centered: false) },
        "InstanceNormalization": { try instanceNormalization($0) },
        "GroupNormalization": { try groupNormalization($0) },
        "LpNormalization": { try lpNormalization($0) },
        "MeanVarianceNormalization": { try meanVarianceNormalization($0) },
    ]

    /// BatchNormalization in inference form over X [N, C, D…] with per-channel scale γ, bias β, running mean μ
    /// and variance σ²: `y = γ · (x − μ) / √(σ² + ε) + β`, computed as `y = a·x + b` with a = γ/√(σ² + ε),
    /// b = β − μ·a. `epsilon` defaults to 1e-5. `training_mode` = 1 and `spatial` = 0 (opset < 9) are not
    /// supported.
    static func batchNormalization(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        return try NormalizationMath.dispatch(ctx, x, float: { try batchNormalization(ctx, x, Float.self) },
                                              double: { try batchNormalization(ctx, x, Double.self) })
    }

    private static func batchNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor,
                                                              _ type: F.Type) throws -> [Tensor] {
        let training = try ctx.node.int("training_mode", default: 0)
        guard training == 0 else { throw ctx.unsupported("training_mode", "\(training)") }
        let spatialMode = try ctx.node.int("spatial", default: 1)
        guard spatialMode == 1 else { throw ctx.unsupported("spatial", "\(spatialMode)") }
        guard x.rank >= 2 else { throw ctx.invalid("X must have shape [N, C, …], got \(x.shape)") }
        let channels = x.shape[1]
        var parameters: [[F]] = []
        for (index, name) in ["scale", "B", "input_mean", "input_var"].enumerated() {
            let tensor = try ctx.input(index + 1)
            guard tensor.count == channels else {
                throw ctx.invalid("\(name) must hold \(channels) values (one per channel), got shape \(tensor.shape)")
            }
            parameters.append(NormalizationMath.values(tensor, as: F.self))
        }
        let epsilon = F(try ctx.node.float("epsilon", default: 1e-5))
        let a = (0..<channels).map { parameters[0][$0] / (parameters[3][$0] + epsilon).squareRoot() }
        let b = (0..<channels).map { parameters[1][$0] - parameters[2][$0] * a[$0] }
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        var y = NormalizationMath.values(x, as: F.self)
        y.withUnsafeMutableBufferPointer { buffer in
            for block in 0..<(x.shape[0] * channels) {
                let (scale, shift) = (a[block % channels], b[block % channels])
                for j in (block * spatial)..<((block + 1) * spatial) { buffer[j] = buffer[j] * scale + shift }
            }
        }
        return [Tensor(shape: x.shape, values: y)]
    }

    /// LpNormalization: `y = x / ‖x‖_p` along `axis` (default −1) with p ∈ {1, 2} (default 2); a zero norm
    /// gives 0.
    static func lpNormalization(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        return try NormalizationMath.dispatch(ctx, x, float: { try lpNormalization(ctx, x, Float.self) },
                                              double: { try lpNormalization(ctx, x, Double.self) })
    }

    private static func lpNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor,
                                                           _ type: F.Type) throws -> [Tensor] {
        let axis = try ctx.node.int("axis", default: -1)
        guard (-x.rank..<x.rank).contains(axis) else {
            throw ctx.invalid("axis \(axis) is out of range for a rank-\(x.rank) input")
        }
        let p = try ctx.node.int("p", default: 2)
        let layout = ReductionLayout(shape: x.shape, axes: [axis < 0 ? axis + x.rank : axis])
        var values = NormalizationMath.values(x, as: F.self)
        let norms: [F]
        switch p {
        case 1: norms = ReductionFold.fold(MagnitudeSumRule.self, values, layout: layout, threads: ctx.threads)
        case 2: norms = ReductionFold.fold(SquareSumRule.self, values, layout: layout, threads: ctx.threads).map { $0.squareRoot() }
        default: throw ctx.unsupported("p", "\(p)")
        }
        let (reduced, inner) = (layout.reduced, layout.inner)
        for index in values.indices {
            let norm = norms[index / (reduced * inner) * inner + index % inner]
            values[index] = norm == 0 ? 0 : values[index] / norm
        }
        return [Tensor(shape: x.shape, values: values)]
    }
}
