import QKKernels
import QKTensor

extension OpTable {
    /// IntegerMatMul: A (…×M×K) times B (…×K×N), both 8-bit at run time with per-tensor parameters
    /// (QLinearMatMul's inputs), batch axes broadcast, requantized with a fixed-point multiplier
    /// (``int8BatchedGemm``: each B matrix packed once, A read in place).
    static let integerMatMulKernel: OpKernel = { ctx in
        let a = try quantizedOperand(ctx, 0, "a"), b = try quantizedOperand(ctx, 3, "b")
        let (aShape, bShape) = (a.tensor.shape, b.tensor.shape)
        guard aShape.count >= 2, bShape.count >= 2, aShape[aShape.count - 1] == bShape[bShape.count - 2] else {
            throw ctx.invalid("a \(aShape) and b \(bShape) do not multiply")
        }
        let y = try outputQuantization(ctx, 6, "y", fallback: a.tensor.dtype)
        guard y.dtype == .uint8 || y.dtype == .int8 else { throw ctx.invalid("y_zero_point must be uint8 or int8, got \(y.dtype)") }
        let stage = OutputStage(accScales: [Double(a.scale) * Double(b.scale)], output: y, clipMin: nil, clipMax: nil)
        let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
        let batches = try MatMulBatches(ctx, aBatch: Array(aShape.dropLast(2)), bBatch: Array(bShape.dropLast(2)))
        return [stage.output(shape: batches.shape + [m, n], channel: { _ in 0 }, buffers: ctx.outputBuffers) { out in
            EightBit.batchedGemm(count: batches.count, m: m, n: n, k: k, a: a.tensor, aZeroPoints: [a.zeroPoint],
                                 b: b.tensor, bZeroPoints: [b.zeroPoint], operands: batches.operands, output: out,
                                 threads: ctx.threads)
        }]
    }
}
