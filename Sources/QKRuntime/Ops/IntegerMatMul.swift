import QKGraph
import QKKernels
import QKTensor

extension OpTable {
    /// IntegerMatMul: A (…×M×K) times B (…×K×N), both 8-bit at run time with per-tensor parameters
    /// (QLinearMatMul's inputs), batch axes broadcast, requantized with a fixed-point multiplier
    /// (``int8BatchedGemm``: each B matrix packed once, or small batches multiplied without packing; A read in place).
    static let integerMatMulKernel: OpKernel = { ctx in
        let a = try quantizedOperand(ctx, 0, "a"), b = try quantizedOperand(ctx, 3, "b")
        try checkMatMulShapes(ctx, a.tensor, b.tensor)
        let y = try outputQuantization(ctx, 6, "y", fallback: a.tensor.dtype)
        guard y.dtype == .uint8 || y.dtype == .int8 else { throw ctx.invalid("y_zero_point must be uint8 or int8, got \(y.dtype)") }
        let stage = OutputStage(accScales: [Double(a.scale) * Double(b.scale)], output: y, clipMin: nil, clipMax: nil)
        return [try integerMatMul(ctx, a.tensor, a.zeroPoint, b.tensor, b.zeroPoint, stage)]
    }

    /// The preparers of the ai.quantkit ops defined here: IntegerMatMul with every scale and zero point constant
    /// (as the integer fusion writes them) reads them and builds its output stage once, at load; a run checks the
    /// operands' dtypes against them and falls back to the table kernel (which reports the error) when they differ.
    static let integerMatMulPreparers: [String: KernelPreparer] = [
        "IntegerMatMul": { prep in
            guard let a = constantParameter(prep, 1, "a"), let b = constantParameter(prep, 4, "b"),
                  let y = constantParameter(prep, 6, "y") else { return integerMatMulKernel }
            let stages = [DType.uint8, .int8].map { dtype in
                OutputStage(accScales: [Double(a.scale) * Double(b.scale)],
                            output: (y.scale, y.zeroPoint, y.zeroType ?? dtype), clipMin: nil, clipMax: nil)
            }
            return { ctx in
                guard ctx.inputs.count > 3, let x = ctx.inputs[0], let w = ctx.inputs[3],
                      x.dtype == .uint8 || x.dtype == .int8, w.dtype == .uint8 || w.dtype == .int8,
                      (a.zeroType ?? x.dtype) == x.dtype, (b.zeroType ?? w.dtype) == w.dtype,
                      (y.zeroType ?? x.dtype) == x.dtype else { return try integerMatMulKernel(ctx) }
                try checkMatMulShapes(ctx, x, w)
                return [try integerMatMul(ctx, x, a.zeroPoint, w, b.zeroPoint, stages[x.dtype == .int8 ? 1 : 0])]
            }
        },
    ]

    private static func checkMatMulShapes(_ ctx: KernelContext, _ a: Tensor, _ b: Tensor) throws {
        let (aShape, bShape) = (a.shape, b.shape)
        guard aShape.count >= 2, bShape.count >= 2, aShape[aShape.count - 1] == bShape[bShape.count - 2] else {
            throw ctx.invalid("a \(aShape) and b \(bShape) do not multiply")
        }
    }

    /// The batched product of 8-bit `a` and `b` (shapes already checked) through `stage`.
    private static func integerMatMul(_ ctx: KernelContext, _ a: Tensor, _ aZeroPoint: Int32, _ b: Tensor,
                                      _ bZeroPoint: Int32, _ stage: OutputStage) throws -> Tensor {
        let (aShape, bShape) = (a.shape, b.shape)
        let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
        let batches = try MatMulBatches(ctx, aBatch: Array(aShape.dropLast(2)), bBatch: Array(bShape.dropLast(2)))
        return stage.output(shape: batches.shape + [m, n], channels: ChannelLayout(run: 1, count: 1), buffers: ctx.outputBuffers) { out in
            EightBit.batchedGemm(count: batches.count, m: m, n: n, k: k, a: a, aZeroPoints: [aZeroPoint],
                                 b: b, bZeroPoints: [bZeroPoint], operands: batches.operands, output: out,
                                 threads: ctx.threads)
        }
    }
}
