import QKKernels
import QKTensor

/// MatMulInteger and QLinearMatMul on the fast integer GEMM (``int8BatchedGemm``, int32 output).
extension OpTable {
    /// MatMulInteger: Y = (A − a_zero_point) · (B − b_zero_point) in int32, numpy-style batch broadcasting.
    /// a_zero_point is a scalar or one value per row of A (M); b_zero_point a scalar or one per column of B (N).
    static let matMulIntegerKernel: OpKernel = { ctx in
        let product = try integerMatMul(ctx, a: 0, aZero: 2, b: 1, bZero: 3)
        return [Tensor(shape: product.shape, values: product.values)]
    }

    /// QLinearMatMul: Y = saturate(round_half_to_even(acc · a_scale · b_scale / y_scale) + y_zero_point) with
    /// acc = (a − a_zero_point) · (b − b_zero_point) in int32. The multiplier is computed in the scales' dtype
    /// and applied in double precision, as ONNX's reference does, so results are exact against it; b_scale and
    /// b_zero_point may hold one value per column of b. The output dtype is y_zero_point's.
    static let qLinearMatMulKernel: OpKernel = { ctx in
        let (aScaleTensor, aScale) = try ctx.scaleInput(1, "a_scale")
        let (_, bScale) = try ctx.scaleInput(4, "b_scale")
        let (_, yScale) = try ctx.scaleInput(6, "y_scale")
        guard aScale.count == 1, yScale.count == 1 else {
            throw ctx.invalid("a_scale and y_scale must hold one value, got \(aScale.count) and \(yScale.count)")
        }
        let product = try integerMatMul(ctx, a: 0, aZero: 2, b: 3, bZero: 5)
        let b = try ctx.input(3)
        let n = b.rank >= 2 ? b.shape[b.rank - 1] : 1     // columns of b: the innermost output axis
        guard bScale.count == 1 || bScale.count == n else {
            throw ctx.invalid("b_scale has \(bScale.count) values, expected 1 or \(n) (one per column of b)")
        }
        let aType = try ctx.input(0).dtype
        let zero = try ctx.zeroPointInput(7, "y_zero_point", matching: nil)
        let dtype = zero.tensor?.dtype ?? aType
        guard let range = quantizedRanges[dtype], zero.values.count == 1 else {
            throw ctx.invalid("y_zero_point must be one int8 or uint8 value, got \(zero.values.count) of \(dtype)")
        }
        let multipliers = bScale.map { scaleProduct(aScale[0], $0, over: yScale[0], in: aScaleTensor.dtype) }
        let y = product.values.enumerated().map { i, acc in
            requantizeValue(acc, multiplier: multipliers.count == 1 ? multipliers[0] : multipliers[i % n],
                            zeroPoint: zero.values[0], range: range)
        }
        return [quantizedTensor(y, shape: product.shape, dtype: dtype)]
    }

    /// x_scale · w_scale / y_scale rounded after each operation to `dtype` (float32, float16 or bfloat16),
    /// as numpy computes it in the ONNX reference.
    static func scaleProduct(_ a: Float, _ b: Float, over c: Float, in dtype: DType) -> Float {
        func rounded(_ v: Float) -> Float {
            switch dtype {
            case .float16: Float(Float16(v))
            case .bfloat16: BFloat16(v).floatValue
            default: v
            }
        }
        return rounded(rounded(a * b) / c)
    }

    /// The int32 product (A − a_zp)(B − b_zp) of inputs `a` and `b` (uint8 or int8), with MatMul's rank rules
    /// (1-D A gets a leading 1, 1-D B a trailing 1, both removed from the result) and batch broadcasting.
    private static func integerMatMul(_ ctx: KernelContext, a ai: Int, aZero: Int, b bi: Int,
                                      bZero: Int) throws -> (shape: [Int], values: [Int32]) {
        let a = try ctx.input(ai), b = try ctx.input(bi)
        for (name, t) in [("A", a), ("B", b)] where t.dtype != .uint8 && t.dtype != .int8 {
            throw ctx.invalid("\(name) must be uint8 or int8, got \(t.dtype)")
        }
        guard a.rank >= 1, b.rank >= 1 else { throw ctx.invalid("A and B must have rank >= 1, got \(a.shape) and \(b.shape)") }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (k2, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == k2 else { throw ctx.invalid("A \(a.shape) and B \(b.shape) have different inner dimensions \(k) and \(k2)") }
        let aZp = try ctx.zeroPointInput(aZero, "a_zero_point", matching: a.dtype).values
        let bZp = try ctx.zeroPointInput(bZero, "b_zero_point", matching: b.dtype).values
        guard aZp.count == 1 || aZp.count == m else {
            throw ctx.invalid("a_zero_point has \(aZp.count) values, expected 1 or \(m) (one per row of A)")
        }
        guard bZp.count == 1 || bZp.count == n else {
            throw ctx.invalid("b_zero_point has \(bZp.count) values, expected 1 or \(n) (one per column of B)")
        }
        let batches = try MatMulBatches(ctx, aBatch: Array(aShape.dropLast(2)), bBatch: Array(bShape.dropLast(2)))
        var shape = batches.shape + [m, n]
        if a.rank == 1 { shape.remove(at: shape.count - 2) }
        if b.rank == 1 { shape.removeLast() }
        var c = [Int32](repeating: 0, count: batches.count * m * n)
        guard !c.isEmpty, k > 0 else { return (shape, c) }
        c.withUnsafeMutableBufferPointer { out in
            EightBit.batchedGemm(count: batches.count, m: m, n: n, k: k, a: a, aZeroPoints: aZp, b: b, bZeroPoints: bZp,
                                 operands: batches.operands, output: .int32(out.baseAddress!), threads: ctx.threads)
        }
        return (shape, c)
    }
}
