import QKTensor

/// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (ONNX opsets 10 – 25).
extension OpTable {
    /// QuantizeLinear: y = saturate(round_half_to_even(x / y_scale) + y_zero_point), computed in fp32 for
    /// float32/float16/bfloat16 x; per-tensor, per-axis (`axis`, default 1) or blocked (`block_size`).
    /// The output dtype is `output_dtype` when set, else y_zero_point's dtype, else uint8: int8, uint8, int16,
    /// uint16, int4 (−8 … 7) or uint4 (0 … 15). float8 outputs (and `saturate`, which only concerns float8) are
    /// not supported. float32 x with float32 per-tensor/per-axis scales into 8/16-bit integers runs the SIMD
    /// kernels (QuantizedLinear+Fast.swift, bit-identical to ``generalQuantizeLinear(_:)``).
    static let quantizeLinearKernel: OpKernel = { ctx in
        if let y = fastQuantizeLinear(ctx) { return [y] }
        return try generalQuantizeLinear(ctx)
    }

    /// QuantizeLinear one element at a time, for every dtype and layout; validates the inputs.
    static func generalQuantizeLinear(_ ctx: KernelContext) throws -> [Tensor] {
        let (x, xValues) = try ctx.floatInput(0)
        let (scaleTensor, scales) = try ctx.scaleInput(1, "y_scale")
        let zero = try ctx.zeroPointInput(2, "y_zero_point", matching: nil)
        var dtype = zero.tensor?.dtype ?? .uint8
        let outputCode = try ctx.node.int("output_dtype", default: 0)
        if outputCode != 0 {
            guard let requested = quantizedOutputDTypes[outputCode] else {
                throw ctx.unsupported("output_dtype", "\(outputCode)")
            }
            if let zt = zero.tensor, zt.dtype != requested {
                throw ctx.invalid("y_zero_point is \(zt.dtype) but output_dtype asks for \(requested)")
            }
            dtype = requested
        }
        guard let range = quantizedRanges[dtype] else {
            throw ctx.invalid("y_zero_point must be int8, uint8, int16, uint16, int4 or uint4, got \(dtype)")
        }
        let layout = try parameterLayout(ctx, x.shape, scaleTensor, zero.tensor, "y")
        var y = [Int32](repeating: 0, count: xValues.count)
        let zps = zero.values
        for i in 0..<xValues.count {
            let p = layout.index(i)
            y[i] = quantizeValue(xValues[i], scale: scales[p], zeroPoint: zps.count == 1 ? zps[0] : zps[p], range: range)
        }
        return [quantizedTensor(y, shape: x.shape, dtype: dtype)]
    }

    /// DequantizeLinear: y = (x − x_zero_point) · x_scale, computed in fp32 and stored in the scale's dtype
    /// (or `output_dtype`); per-tensor, per-axis or blocked like QuantizeLinear. x may be int8, uint8, int16,
    /// uint16, int4, uint4 or int32 (int32 with a zero point of 0). 8/16/32-bit x with float32 per-tensor/per-axis
    /// scales runs the SIMD kernels (bit-identical to ``generalDequantizeLinear(_:)``).
    static let dequantizeLinearKernel: OpKernel = { ctx in
        if let y = fastDequantizeLinear(ctx) { return [y] }
        return try generalDequantizeLinear(ctx)
    }

    /// DequantizeLinear one element at a time, for every dtype and layout; validates the inputs.
    static func generalDequantizeLinear(_ ctx: KernelContext) throws -> [Tensor] {
        let (x, xValues) = try ctx.quantizedInput(0, "x", allowed: [.int8, .uint8, .int16, .uint16, .int4, .uint4, .int32])
        let (scaleTensor, scales) = try ctx.scaleInput(1, "x_scale")
        let zero = try ctx.zeroPointInput(2, "x_zero_point", matching: x.dtype)
        if x.dtype == .int32, zero.values.contains(where: { $0 != 0 }) {
            throw ctx.invalid("x_zero_point must be 0 for int32 x")
        }
        var dtype = scaleTensor.dtype
        let outputCode = try ctx.node.int("output_dtype", default: 0)
        if outputCode != 0 {
            guard let requested = dequantizedOutputDTypes[outputCode] else { throw ctx.unsupported("output_dtype", "\(outputCode)") }
            dtype = requested
        }
        let layout = try parameterLayout(ctx, x.shape, scaleTensor, zero.tensor, "x")
        var y = [Float](repeating: 0, count: xValues.count)
        let zps = zero.values
        for i in 0..<xValues.count {
            let p = layout.index(i)
            y[i] = Float(xValues[i] - (zps.count == 1 ? zps[0] : zps[p])) * scales[p]
        }
        return [ctx.floatOutput(y, shape: x.shape, as: dtype)]
    }

    /// DynamicQuantizeLinear (uint8): with lo = min(0, min x) and hi = max(0, max x),
    /// y_scale = (hi − lo) / 255, y_zero_point = saturate(round_half_to_even(−lo / y_scale)),
    /// y = saturate(round_half_to_even(x / y_scale) + y_zero_point). An all-zero (or empty) x gives
    /// y_scale 0, y_zero_point 0 and y 0. Finite x with a positive range runs the SIMD kernels.
    static let dynamicQuantizeLinearKernel: OpKernel = { ctx in
        if let outputs = fastDynamicQuantizeLinear(ctx) { return outputs }
        return try generalDynamicQuantizeLinear(ctx)
    }

    /// DynamicQuantizeLinear one element at a time; validates the input.
    static func generalDynamicQuantizeLinear(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        guard x.dtype == .float32 else { throw ctx.invalid("x must be float32, got \(x.dtype)") }
        let values = x.floatValues
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ctx.invalid("x must be finite, got \(values[bad]) at index \(bad)")
        }
        let lo = min(0, values.min() ?? 0), hi = max(0, values.max() ?? 0)
        let scale = (hi - lo) / 255
        let range = quantizedRanges[.uint8]!
        guard scale > 0 else {
            return [Tensor(shape: x.shape, values: [UInt8](repeating: 0, count: values.count)),
                    Tensor(scalar: Float(0)), Tensor(scalar: UInt8(0))]
        }
        let zp = Int32(min(max((-lo / scale).rounded(.toNearestOrEven), 0), 255))
        let y = values.map { quantizeValue($0, scale: scale, zeroPoint: zp, range: range) }
        return [quantizedTensor(y, shape: x.shape, dtype: .uint8), Tensor(scalar: scale), Tensor(scalar: UInt8(zp))]
    }

    /// The parameter layout of QuantizeLinear/DequantizeLinear (`prefix` is "x" or "y"); a zero point must
    /// have the scale's shape.
    private static func parameterLayout(_ ctx: KernelContext, _ dataShape: [Int], _ scale: Tensor, _ zero: Tensor?,
                                        _ prefix: String) throws -> QuantParameterLayout {
        if let zero, zero.shape != scale.shape, !(zero.count == 1 && scale.count == 1) {
            throw ctx.invalid("\(prefix)_zero_point has shape \(zero.shape), expected \(prefix)_scale's shape \(scale.shape)")
        }
        let axis = try ctx.node.int("axis", default: 1)
        let blockSize = try ctx.node.int("block_size", default: 0)
        return try QuantParameterLayout(ctx, dataShape: dataShape, parameterShape: scale.shape,
                                        name: "\(prefix)_scale", axis: axis, blockSize: blockSize)
    }
}
