import QKKernels
import QKTensor

/// ConvInteger and QLinearConv on the fast integer convolution (``int8Conv``, int32 output; weights packed per call).
extension OpTable {
    /// ConvInteger: Y = conv(x − x_zero_point, w − w_zero_point) in int32 with every Conv attribute
    /// (auto_pad, dilations, group, kernel_shape, pads, strides); padding holds the zero point.
    /// w_zero_point is a scalar or one value per output channel.
    static let convIntegerKernel: OpKernel = { ctx in
        let conv = try integerConv(ctx, x: 0, xZero: 2, w: 1, wZero: 3, bias: nil)
        return [Tensor(shape: conv.shape, values: conv.values)]
    }

    /// QLinearConv: Y = saturate(round_half_to_even(acc · x_scale · w_scale[m] / y_scale) + y_zero_point) with
    /// acc = B[m] + conv(x − x_zero_point, w − w_zero_point[m]) in int32. w_scale and w_zero_point hold one value
    /// or one per output channel m; B is int32. Float requantization (multiplier in fp32, product in double)
    /// as ONNX's reference, so results are exact against it and within one step of ONNX Runtime's fixed point.
    static let qLinearConvKernel: OpKernel = { ctx in
        let (_, xScale) = try ctx.scaleInput(1, "x_scale")
        let (_, wScale) = try ctx.scaleInput(4, "w_scale")
        let (_, yScale) = try ctx.scaleInput(6, "y_scale")
        guard xScale.count == 1, yScale.count == 1 else {
            throw ctx.invalid("x_scale and y_scale must hold one value, got \(xScale.count) and \(yScale.count)")
        }
        let conv = try integerConv(ctx, x: 0, xZero: 2, w: 3, wZero: 5, bias: 8)
        let channels = conv.shape[1], plane = conv.shape[2...].reduce(1, *)
        guard wScale.count == 1 || wScale.count == channels else {
            throw ctx.invalid("w_scale has \(wScale.count) values, expected \(channels) (one per output channel)")
        }
        let xType = try ctx.input(0).dtype
        let zero = try ctx.zeroPointInput(7, "y_zero_point", matching: nil)
        let dtype = zero.tensor?.dtype ?? xType
        guard let range = quantizedRanges[dtype], dtype == .uint8 || dtype == .int8, zero.values.count == 1 else {
            throw ctx.invalid("y_zero_point must be one int8 or uint8 value, got \(zero.values.count) of \(dtype)")
        }
        let multipliers = wScale.map { xScale[0] * $0 / yScale[0] }
        let y = conv.values.enumerated().map { i, acc in
            requantizeValue(acc, multiplier: multipliers.count == 1 ? multipliers[0] : multipliers[(i / plane) % channels],
                            zeroPoint: zero.values[0], range: range)
        }
        return [quantizedTensor(y, shape: conv.shape, dtype: dtype)]
    }

    /// The int32 convolution of inputs `x` and `w` (uint8 or int8) minus their zero points, plus the int32
    /// bias input `bias` when given.
    private static func integerConv(_ ctx: KernelContext, x xi: Int, xZero: Int, w wi: Int, wZero: Int,
                                    bias bi: Int?) throws -> (shape: [Int], values: [Int32]) {
        let x = try ctx.input(xi), w = try ctx.input(wi)
        for (name, t) in [("x", x), ("w", w)] where t.dtype != .uint8 && t.dtype != .int8 {
            throw ctx.invalid("\(name) must be uint8 or int8, got \(t.dtype)")
        }
        guard x.rank >= 3, w.rank == x.rank else {
            throw ctx.invalid("x must be N×C×spatial and w M×C/group×kernel of the same rank, got x \(x.shape), w \(w.shape)")
        }
        let group = try ctx.node.int("group", default: 1)
        let channels = x.shape[1], outChannels = w.shape[0]
        guard group > 0, channels % group == 0, outChannels % group == 0, w.shape[1] * group == channels else {
            throw ctx.invalid("group \(group) does not fit x channels \(channels) and w \(w.shape)")
        }
        let kernel = Array(w.shape[2...])
        if let declared = try ctx.node.ints("kernel_shape"), declared != kernel {
            throw ctx.invalid("kernel_shape \(declared) does not match w \(w.shape)")
        }
        guard x.count > 0, w.count > 0 else { throw ctx.invalid("x \(x.shape) and w \(w.shape) must not be empty") }
        let xZp = try ctx.zeroPointInput(xZero, "x_zero_point", matching: x.dtype).values
        guard xZp.count == 1 else { throw ctx.invalid("x_zero_point must hold one value, got \(xZp.count)") }
        let wZp = try ctx.zeroPointInput(wZero, "w_zero_point", matching: w.dtype).values
        guard wZp.count == 1 || wZp.count == outChannels else {
            throw ctx.invalid("w_zero_point has \(wZp.count) values, expected \(outChannels) (one per output channel)")
        }
        var bias: [Int32]?
        if let bi, let b = ctx.optionalInput(bi) {
            guard b.dtype == .int32, let values = b.values(as: Int32.self), values.count == outChannels else {
                throw ctx.invalid("B must be int32 with \(outChannels) values (one per output channel), got \(b.dtype) \(b.shape)")
            }
            bias = values
        }
        let geometry = try ctx.windowGeometry(spatial: Array(x.shape[2...]), kernel: kernel)
        let shape = ConvShape(batch: x.shape[0], inputChannels: channels, outputChannels: outChannels, groups: group,
                              geometry: geometry)
        func run<X: FixedWidthInteger, W: FixedWidthInteger>(_ xv: [X], _ wv: [W]) -> [Int32] {
            let packed = PackedInt8ConvWeights(wv, shape: shape, zeroPoints: wZp)
            var y = [Int32](repeating: 0, count: shape.outputCount)
            xv.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    int8Conv(shape, input: px.baseAddress!, inputZeroPoint: xZp[0], weights: packed, bias: bias,
                             output: .int32(py.baseAddress!), threads: ctx.threads)
                }
            }
            return y
        }
        let values: [Int32]
        switch (x.storage, w.storage) {
        case (.uint8(let a), .uint8(let b)): values = run(a, b)
        case (.uint8(let a), .int8(let b)): values = run(a, b)
        case (.int8(let a), .uint8(let b)): values = run(a, b)
        case (.int8(let a), .int8(let b)): values = run(a, b)
        default: values = []
        }
        return ([x.shape[0], outChannels] + geometry.output, values)
    }
}
