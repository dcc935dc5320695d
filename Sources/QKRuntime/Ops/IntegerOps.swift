import QKGraph
import QKKernels
import QKTensor

/// Builds a node's kernel once, when a model is loaded: the context holds the node and those inputs that are
/// constants (nil for values computed at run time), so weights can be packed and multipliers computed ahead.
public typealias KernelPreparer = @Sendable (KernelContext) throws -> OpKernel

/// The integer nodes written by ``IntegerFusion`` (domain "ai.quantkit"). IntegerConv and IntegerGemm take
/// QLinearConv's inputs (x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, bias):
///
///     acc[j] = bias[j] + Σ (x − x_zero_point) · (w − w_zero_point[j])                       (int32)
///     y      = clamp(y_zero_point + round(M_j · acc), qmin, qmax),  M_j = alpha · x_scale · w_scale[j] / y_scale
///
/// with M_j as a Q31 multiplier and shift (``quantizeMultiplier(_:)``, no floats per element); [qmin, qmax] is
/// the output type's range narrowed by `clip_min`/`clip_max` (a folded Relu/Clip). Without y_scale the output
/// is fp32: y = clamp(acc · alpha · x_scale · w_scale[j], clip_min, clip_max). IntegerGemm multiplies a (…×K)
/// by the constant B (K×N, or N×K with transB); IntegerMatMul multiplies two run-time 8-bit tensors (batched,
/// per-tensor parameters). Weights are packed once per node by the preparers.
extension OpTable {
    static let integerPreparers: [String: KernelPreparer] = [
        "IntegerConv": prepareIntegerConv,
        "IntegerGemm": prepareIntegerGemm,
        "DequantizedAdd": prepareDequantizedAdd,
    ]

    /// Kernels of the ai.quantkit domain; IntegerConv and IntegerGemm prepare themselves on every call here
    /// (the ``Interpreter`` prepares them once instead).
    static let integerKernels: [String: OpKernel] = [
        "IntegerConv": { ctx in try prepareIntegerConv(ctx)(ctx) },
        "IntegerGemm": { ctx in try prepareIntegerGemm(ctx)(ctx) },
        "IntegerMatMul": integerMatMulKernel,
        "IntegerLookup": integerLookupKernel,
        "DequantizedAdd": { ctx in try prepareDequantizedAdd(ctx)(ctx) },
    ]

    /// The shared parameters of IntegerConv/IntegerGemm: x's zero point and dtype, the output stage for `n`
    /// output channels and the bias.
    struct IntegerLinearParameters {
        let xZeroPoint: Int32
        let xType: DType
        let stage: OutputStage
        let bias: [Int32]?
    }

    static func integerLinearParameters(_ ctx: KernelContext, weights w: Tensor, channels n: Int,
                                        alpha: Float) throws -> IntegerLinearParameters {
        guard w.dtype == .uint8 || w.dtype == .int8 else { throw ctx.invalid("w must be uint8 or int8, got \(w.dtype)") }
        let (_, xScales) = try ctx.scaleInput(1, "x_scale")
        let xZero = try ctx.zeroPointInput(2, "x_zero_point", matching: nil)
        let x = try ctx.perTensor(xScales, xZero.values, "x")
        let xType = xZero.tensor?.dtype ?? .uint8
        guard xType == .uint8 || xType == .int8 else { throw ctx.invalid("x_zero_point must be uint8 or int8, got \(xType)") }
        let (_, wScale) = try ctx.scaleInput(4, "w_scale")
        let wZero = try ctx.zeroPointInput(5, "w_zero_point", matching: w.dtype).values
        guard wScale.count == 1 || wScale.count == n, wZero.count == 1 || wZero.count == n else {
            throw ctx.invalid("w_scale and w_zero_point must hold 1 or \(n) values (one per output channel), got \(wScale.count) and \(wZero.count)")
        }
        var output: (scale: Float, zeroPoint: Int32, dtype: DType)?
        if ctx.optionalInput(6) != nil {
            let y = try outputQuantization(ctx, 6, "y", fallback: xType)
            guard y.dtype == .uint8 || y.dtype == .int8 else { throw ctx.invalid("y_zero_point must be uint8 or int8, got \(y.dtype)") }
            output = y
        }
        var bias: [Int32]?
        if let b = ctx.optionalInput(8) {
            guard b.dtype == .int32, let values = b.values(as: Int32.self), values.count == n else {
                throw ctx.invalid("bias must be int32 with \(n) values (one per output channel), got \(b.dtype) \(b.shape)")
            }
            bias = values
        }
        let accScales = wScale.map { Double(alpha) * Double(x.scale) * Double($0) }
        let stage = OutputStage(accScales: accScales, output: output, clipMin: try ctx.node.float("clip_min"),
                                clipMax: try ctx.node.float("clip_max"))
        return IntegerLinearParameters(xZeroPoint: x.zeroPoint, xType: xType, stage: stage, bias: bias)
    }

    /// Input x, checked against x_zero_point's dtype.
    static func quantizedInput(_ ctx: KernelContext, _ parameters: IntegerLinearParameters) throws -> Tensor {
        let x = try ctx.input(0)
        guard x.dtype == parameters.xType else {
            throw ctx.invalid("x is \(x.dtype) but the model quantizes it as \(parameters.xType) (x_zero_point's type)")
        }
        return x
    }

    /// IntegerGemm: a (…×K) times the constant B, weights packed here once.
    static let prepareIntegerGemm: KernelPreparer = { prep in
        let b = try prep.input(3)
        guard b.rank == 2 else { throw prep.invalid("B must be a matrix, got \(b.shape)") }
        let transB = try prep.node.int("transB", default: 0) != 0
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        let parameters = try integerLinearParameters(prep, weights: b, channels: n, alpha: try prep.node.float("alpha", default: 1))
        let wZero = try prep.zeroPointInput(5, "w_zero_point", matching: b.dtype).values
        guard let packed = EightBit.packed(b, k: k, n: n, transposed: transB, zeroPoints: wZero) else {
            throw prep.invalid("B must be uint8 or int8, got \(b.dtype)")
        }
        let postOp = try IntegerGemmPostOp(prep, columns: n, outputType: parameters.stage.dtype)
        return { ctx in
            let a = try quantizedInput(ctx, parameters)
            guard a.rank >= 1, a.shape.last == k else { throw ctx.invalid("a \(a.shape) does not end in K = \(k) (B is \(b.shape))") }
            let m = k == 0 ? 0 : a.count / k
            return [parameters.stage.output(shape: Array(a.shape.dropLast()) + [n], channels: ChannelLayout(run: 1, count: n), buffers: ctx.outputBuffers) { out in
                EightBit.gemm(a, offset: 0, m: m, zeroPoint: parameters.xZeroPoint, weights: packed, bias: parameters.bias,
                              output: out, ldc: n, threads: ctx.threads)
                postOp?.apply(out, count: m * n, threads: ctx.threads)
            }]
        }
    }
}
