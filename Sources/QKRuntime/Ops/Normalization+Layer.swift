import QKGraph
import QKKernels
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
        try layerNormalization(ctx, centered: centered, try LayerNormAttributes(ctx.node))
    }

    /// LayerNormalization / RMSNormalization with the attributes already read (see ``layerNormPreparers``).
    static func layerNormalization(_ ctx: KernelContext, centered: Bool, _ attributes: LayerNormAttributes) throws -> [Tensor] {
        let x = try ctx.input(0)
        if let outputs = smallLayerNormalization(ctx, x, centered, attributes) { return outputs }
        return try NormalizationMath.dispatch(ctx, x, float: { try layerNormalization(ctx, x, centered, attributes, Float.self) },
                                              double: { try layerNormalization(ctx, x, centered, attributes, Double.self) })
    }

    /// Preparers that read the attributes once, at load (the table kernel runs when one cannot be read).
    static let layerNormPreparers: [String: KernelPreparer] = [
        "LayerNormalization": { prep in preparedLayerNormalization(prep, centered: true) },
        "RMSNormalization": { prep in preparedLayerNormalization(prep, centered: false) },
    ]

    private static func preparedLayerNormalization(_ prep: KernelContext, centered: Bool) -> OpKernel {
        guard let attributes = readAttribute({ try LayerNormAttributes(prep.node) }) else {
            return { try layerNormalization($0, centered: centered) }
        }
        return { ctx in try layerNormalization(ctx, centered: centered, attributes) }
    }

    /// The float32 case with Scale (and B) already of the normalized shape and float32 statistics: the rows are
    /// normalized straight into an output array from the run's pool (split over threads from
    /// ``NormalizationMath/parallelThreshold`` elements), with the same
    /// ``NormalizationMath/statistics(_:count:epsilon:centered:)`` and
    /// ``NormalizationMath/normalize(_:into:count:mean:invStd:scale:bias:)`` as the general path (so the same bits).
    /// Nil for every other case, which the general path handles.
    private static func smallLayerNormalization(_ ctx: KernelContext, _ x: Tensor, _ centered: Bool,
                                                _ attributes: LayerNormAttributes) -> [Tensor]? {
        guard case .float32(let xs) = x.storage, xs.count > 0,
              (-x.rank..<x.rank).contains(attributes.axis), DType(onnxCode: attributes.stashType) == .float32,
              let scaleTensor = ctx.optionalInput(1), case .float32(let scale) = scaleTensor.storage else { return nil }
        let first = attributes.axis < 0 ? attributes.axis + x.rank : attributes.axis
        let width = x.shape[first...].reduce(1, *)
        guard width > 0, scaleTensor.shape.elementsEqual(x.shape[first...]) else { return nil }
        var bias: [Float]?
        if centered, let biasTensor = ctx.optionalInput(2) {
            guard case .float32(let values) = biasTensor.storage, biasTensor.shape.elementsEqual(x.shape[first...]) else { return nil }
            bias = values
        }
        let rows = xs.count / width, epsilon = attributes.epsilon
        var means = [Float](repeating: 0, count: rows), invStds = [Float](repeating: 0, count: rows)
        var y = ctx.outputBuffer(Float.self, count: xs.count)
        let workers = xs.count < NormalizationMath.parallelThreshold ? 1 : ctx.threads
        xs.withUnsafeBufferPointer { source in
            y.withUnsafeMutableBufferPointer { out in
                means.withUnsafeMutableBufferPointer { meanOut in
                    invStds.withUnsafeMutableBufferPointer { invStdOut in
                        scale.withUnsafeBufferPointer { scales in
                            (bias ?? []).withUnsafeBufferPointer { biases in
                                let (src, dst) = (source.baseAddress!, out.baseAddress!)
                                parallelChunks(rows, threads: workers) { range in
                                    for r in range {
                                        let row = src + r * width
                                        let (mean, invStd) = NormalizationMath.statistics(
                                            row, count: width, epsilon: epsilon, centered: centered)
                                        NormalizationMath.normalize(
                                            row, into: dst + r * width, count: width, mean: mean, invStd: invStd,
                                            scale: scales.baseAddress!, bias: bias == nil ? nil : biases.baseAddress)
                                        (meanOut[r], invStdOut[r]) = (mean, invStd)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard centered else { return [Tensor(shape: x.shape, values: y)] }
        let statisticsShape = Array(x.shape[..<first]) + Array(repeating: 1, count: x.rank - first)
        return [Tensor(shape: x.shape, values: y), Tensor(shape: statisticsShape, values: means),
                Tensor(shape: statisticsShape, values: invStds)]
    }

    private static func layerNormalization<F: ReductionFloat>(_ ctx: KernelContext, _ x: Tensor, _ centered: Bool,
                                                              _ attributes: LayerNormAttributes,
                                                              _ type: F.Type) throws -> [Tensor] {
        let rank = x.rank
        let axis = attributes.axis
        guard (-rank..<rank).contains(axis) else {
            throw ctx.invalid("axis \(axis) is out of range for a rank-\(rank) input")
        }
        let first = axis < 0 ? axis + rank : axis
        let stashType = attributes.stashType
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
        let epsilon = F(attributes.epsilon)
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

/// The attributes of LayerNormalization / RMSNormalization: `axis` (default −1), `epsilon` (default 1e-5) and
/// `stash_type` (default 1 = float32).
struct LayerNormAttributes: Sendable {
    let axis: Int
    let epsilon: Float
    let stashType: Int

    init(_ node: Node) throws {
        axis = try node.int("axis", default: -1)
        stashType = try node.int("stash_type", default: 1)
        epsilon = try node.float("epsilon", default: 1e-5)
    }
}
