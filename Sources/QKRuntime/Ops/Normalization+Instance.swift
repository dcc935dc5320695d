import QKTensor

/// InstanceNormalization and GroupNormalization over X [N, C, D…].
///
/// - InstanceNorm: each (n, c) plane is normalized with its own mean and variance:
///   `y = scale[c] · (x − μ) / √(σ² + ε) + B[c]`.
/// - GroupNorm (`num_groups` G, C divisible by G): the statistics span the C/G channels of a group;
///   scale and bias are per channel (opset 21, C values) or per group (opset 18, G values).
/// `epsilon` defaults to 1e-5.
extension OpTable {
    static func instanceNormalization(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        return try NormalizationMath.dispatch(ctx, x, float: { try groupNormalization(ctx, x, groups: nil, Float.self) },
                                              double: { try groupNormalization(ctx, x, groups: nil, Double.self) })
    }

    static func groupNormalization(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        let groups = try ctx.node.required("num_groups", ctx.node.int)
        return try NormalizationMath.dispatch(ctx, x, float: { try groupNormalization(ctx, x, groups: groups, Float.self) },
                                              double: { try groupNormalization(ctx, x, groups: groups, Double.self) })
    }

    /// Group normalization; `groups` nil means one group per channel (InstanceNorm, per-channel parameters).
    private static func groupNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor, groups: Int?,
                                                              _ type: F.Type) throws -> [Tensor] {
        guard x.rank >= 2 else { throw ctx.invalid("X must have shape [N, C, …], got \(x.shape)") }
        let channels = x.shape[1]
        let groupCount = groups ?? channels
        guard groupCount > 0, channels % groupCount == 0 else {
            throw ctx.invalid("num_groups \(groupCount) must be positive and divide the \(channels) channels")
        }
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        let channelsPerGroup = channels / groupCount
        let scaleTensor = try ctx.input(1)
        let biasTensor = try ctx.input(2)
        let perChannel = scaleTensor.count == channels
        guard perChannel || scaleTensor.count == groupCount, biasTensor.count == scaleTensor.count else {
            throw ctx.invalid("scale \(scaleTensor.shape) and bias \(biasTensor.shape) must both hold \(channels) values (one per channel)"
                              + (groups == nil ? "" : " or \(groupCount) (one per group)"))
        }
        // Per-element parameters of one sample: channel c's value repeated over its spatial positions.
        let expand: ([F]) -> [F] = { values in
            (0..<channels).flatMap { c in
                repeatElement(values[perChannel ? c : c / channelsPerGroup], count: spatial)
            }
        }
        let epsilon = F(try ctx.node.float("epsilon", default: 1e-5))
        let result = NormalizationMath.normalizeRows(
            NormalizationMath.values(x, as: F.self), rows: x.shape[0] * groupCount, width: channelsPerGroup * spatial,
            epsilon: epsilon, scale: expand(NormalizationMath.values(scaleTensor, as: F.self)),
            bias: expand(NormalizationMath.values(biasTensor, as: F.self)), period: groupCount, threads: ctx.threads)
        return [Tensor(shape: x.shape, values: result.y)]
    }
}
