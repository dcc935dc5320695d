import QKKernels
import QKTensor

/// ONNX Runtime's com.microsoft QGemm on the reference integer GEMM (``int8GemmReference``).
extension OpTable {
    /// QGemm (inputs A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point; attributes
    /// transA, transB, alpha):
    ///
    ///     acc[i, j] = C[i, j] + Σ_p (A'[i, p] − a_zp) · (B'[p, j] − b_zp[j])          (int32)
    ///     Y[i, j]   = saturate(round_half_to_even(acc · alpha · a_scale · b_scale[j] / y_scale) + y_zp)
    ///     Y[i, j]   = acc · alpha · a_scale · b_scale[j]                               (float32, no y_scale)
    ///
    /// A' = Aᵀ when transA, B' = Bᵀ when transB; A is M×K, B is K×N after transposition. C is int32 at scale
    /// alpha · a_scale · b_scale (zero point 0), broadcastable to M×N (scalar, [N], [1, N], [M, 1] or [M, N]).
    /// b_scale and b_zero_point hold one value or one per column of B'. The output dtype is y_zero_point's
    /// (a's when it is omitted).
    static let qGemmKernel: OpKernel = { ctx in
        let a = try ctx.input(0), b = try ctx.input(3)
        for (name, t) in [("A", a), ("B", b)] where t.dtype != .uint8 && t.dtype != .int8 {
            throw ctx.invalid("\(name) must be uint8 or int8, got \(t.dtype)")
        }
        guard a.rank == 2, b.rank == 2 else { throw ctx.invalid("A and B must be matrices, got \(a.shape) and \(b.shape)") }
        let transA = try ctx.node.int("transA", default: 0) != 0, transB = try ctx.node.int("transB", default: 0) != 0
        let alpha = try ctx.node.float("alpha", default: 1)
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2 else { throw ctx.invalid("A' is \(m)×\(k) but B' is \(k2)×\(n)") }
        let (_, aScales) = try ctx.scaleInput(1, "a_scale")
        let aZero = try ctx.zeroPointInput(2, "a_zero_point", matching: a.dtype).values
        let aQuant = try ctx.perTensor(aScales, aZero, "a")
        let (_, bScale) = try ctx.scaleInput(4, "b_scale")
        let bZero = try ctx.zeroPointInput(5, "b_zero_point", matching: b.dtype).values
        guard bScale.count == 1 || bScale.count == n, bZero.count == 1 || bZero.count == n else {
            throw ctx.invalid("b_scale and b_zero_point must hold 1 or \(n) values (one per column of B'), got \(bScale.count) and \(bZero.count)")
        }
        var acc = try qGemmBias(ctx, m: m, n: n)
        let aRows = try rowMajor(a, transposed: transA), bRows = try rowMajor(b, transposed: transB)
        aRows.withUnsafeBufferPointer { pa in
            bRows.withUnsafeBufferPointer { pb in
                acc.withUnsafeMutableBufferPointer { pc in
                    [aQuant.zeroPoint].withUnsafeBufferPointer { za in
                        bZero.withUnsafeBufferPointer { zb in
                            var product = [Int32](repeating: 0, count: m * n)
                            product.withUnsafeMutableBufferPointer { pp in
                                int8GemmReference(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, aZeroPoints: za.baseAddress!,
                                                  aZeroStride: 0, b: pb.baseAddress!, ldb: n, bZeroPoints: zb.baseAddress!,
                                                  bZeroStride: zb.count == 1 ? 0 : 1, c: pp.baseAddress!, ldc: n)
                            }
                            for i in 0..<(m * n) { pc[i] = pc[i] &+ product[i] }
                        }
                    }
                }
            }
        }
        let columnScales = bScale.map { alpha * aQuant.scale * $0 }
        guard ctx.optionalInput(7) != nil else {
            let y = acc.enumerated().map { i, v in Float(v) * columnScales[columnScales.count == 1 ? 0 : i % n] }
            return [Tensor(shape: [m, n], values: y)]
        }
        let output = try outputQuantization(ctx, 7, "y", fallback: a.dtype)
        guard let range = quantizedRanges[output.dtype], output.dtype == .uint8 || output.dtype == .int8 else {
            throw ctx.invalid("y_zero_point must be uint8 or int8, got \(output.dtype)")
        }
        let multipliers = columnScales.map { $0 / output.scale }
        let y = acc.enumerated().map { i, v in
            requantizeValue(v, multiplier: multipliers[multipliers.count == 1 ? 0 : i % n], zeroPoint: output.zeroPoint,
                            range: range)
        }
        return [quantizedTensor(y, shape: [m, n], dtype: output.dtype)]
    }

    /// QGemm's C (input 6) broadcast to m×n int32 values, zeros when omitted.
    private static func qGemmBias(_ ctx: KernelContext, m: Int, n: Int) throws -> [Int32] {
        guard let c = ctx.optionalInput(6) else { return [Int32](repeating: 0, count: m * n) }
        guard c.dtype == .int32, let values = c.values(as: Int32.self) else { throw ctx.invalid("C must be int32, got \(c.dtype)") }
        let shape = Array(repeating: 1, count: max(0, 2 - c.rank)) + c.shape
        guard shape.count == 2, shape[0] == 1 || shape[0] == m, shape[1] == 1 || shape[1] == n else {
            throw ctx.invalid("C \(c.shape) does not broadcast to \(m)×\(n)")
        }
        let rowStep = shape[0] == 1 ? 0 : shape[1], columnStep = shape[1] == 1 ? 0 : 1
        return (0..<(m * n)).map { values[($0 / n) * rowStep + ($0 % n) * columnStep] }
    }

    /// A 2-D uint8/int8 tensor's values as row-major Int32, transposed when asked.
    private static func rowMajor(_ t: Tensor, transposed: Bool) throws -> [Int32] {
        let values = int32Values(t) ?? []
        guard transposed else { return values }
        let (rows, columns) = (t.shape[0], t.shape[1])
        return (0..<(rows * columns)).map { i in values[(i % rows) * columns + i / rows] }
    }
}
