import QKTensor

/// LayerNormalization (opset 17) and RMSNormalization (opset 23).
///
/// X is viewed as rows of the trailing axes `axis…` (default −1; normalized shape = X.shape[axis…]):
/// - LayerNorm: `y = (x − μ) / √(σ² + ε) · Scale + B`, μ and σ² the mean and (biased) variance of the row,
///   optional outputs Mean = μ and InvStdDev = 1/√(σ² + ε), shaped X.shape[..<axis] + [1, …].
/// - RMSNorm: `y = x / √(Σx²/n + ε) · scale`.
/// Scale and B broadcast to the normalized shape; `epsilon` defaults to 1e-5. `stash_type` (default 1 =
/// float32) sets the dtype of Mean and InvStdDev.
extension OpTable {
    static func layerNormalization(_ ctx: KernelContext, centered: Bool) throws -> [Tensor] {
        let x = try ctx.input(0)
        return try NormalizationMath.dispatch(ctx, x, float: { try layerNormalization(ctx, x, centered, Float.self) },
                                              double: { try layerNormalization(ctx, x, centered, Double.self) })
    }

    /// Stash dtypes by ONNX TensorProto data type number.

    private static func layerNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor, _ centered: Bool,
                                                              _ type: F.Type) throws -> [Tensor] {
        let rank = x.rank
        let axis = try ctx.node.int("axis", default: -1)
        guard (-rank..<rank).contains(axis) else {
            throw ctx.invalid("axis \(axis) is out of range for a rank-\(rank) input")
        }
        let first = axis < 0 ? axis + rank : axis
        let stashType = try ctx.node.int("stash_type", default: 1)
        guard let stash = DType(onnxCode: stashType), stash.isFloatingPoint else { throw ctx.unsupported("stash_type", "\(stashType)") }
        let normalizedShape = Array(x.shape[first...])
        let parameter: (Int, String) throws -> [F]? = { index, name in
            guard let tensor = ctx.optionalInput(index) else { return nil }
            guard let values = NormalizationMath.broadcast(tensor, to: normalizedShape, as: F.self) else {
                throw ctx.invalid("\(name) of shape \(tensor.shape) does not broadcast to the normalized shape \(normalizedShape)")
            }
            return values
        }
        guard let scale = try parameter(1, "Scale") else { throw ctx.invalid("missing Scale input") }
        let bias = centered ? try parameter(2, "B") : nil
        let epsilon = F(try ctx.node.float("epsilon", default: 1e-5))
        let result = NormalizationMath.normalizeRows(
            NormalizationMath.values(x, as: F.self), rows: x.shape[..<first].reduce(1, *),
            width: normalizedShape.reduce(1, *), epsilon: epsilon, scale: scale, bias: bias, period: 1,
            centered: centered, threads: ctx.threads)
        let y = Tensor(shape: x.shape, values: result.y)
        guard centered else { return [y] }
        let statisticsShape = Array(x.shape[..<first]) + Array(repeating: 1, count: rank - first)
        return [y, Tensor(shape: statisticsShape, values: result.mean).converted(to: stash),
                Tensor(shape: statisticsShape, values: result.invStd).converted(to: stash)]
    }
}
