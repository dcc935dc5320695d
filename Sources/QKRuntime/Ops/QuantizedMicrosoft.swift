import QKKernels
import QKTensor

/// ONNX Runtime's com.microsoft quantized elementwise, concat and pooling ops. Each dequantizes its inputs
/// (r = (q − zp) · scale), computes in fp32 and requantizes (round half to even, saturate to the output's
/// uint8/int8 range). ONNX Runtime's kernels use lookup tables or fixed-point arithmetic for some of these, so
/// results agree with ONNX Runtime within one quantization step, not bit for bit.
extension OpTable {
    /// A quantized operand: Int32 values, its dtype, scale and zero point (per tensor).
    struct QuantizedOperand {
        let tensor: Tensor
        let scale: Float
        let zeroPoint: Int32

        /// The 8-bit values widened to Int32 (computed on each access).
        var values: [Int32] { int32Values(tensor) ?? [] }

        /// (q − zp) · scale for every element.
        var real: [Float] { values.map { Float($0 - zeroPoint) * scale } }
    }

    /// Operand `index` (uint8 or int8) with its scale (`index + 1`) and optional zero point (`index + 2`).
    static func quantizedOperand(_ ctx: KernelContext, _ index: Int, _ name: String) throws -> QuantizedOperand {
        let tensor = try ctx.input(index)
        guard tensor.dtype == .uint8 || tensor.dtype == .int8 else { throw ctx.invalid("\(name) must be uint8 or int8, got \(tensor.dtype)") }
        let (_, scales) = try ctx.scaleInput(index + 1, "\(name)_scale")
        let zero = try ctx.zeroPointInput(index + 2, "\(name)_zero_point", matching: tensor.dtype)
        let (scale, zp) = try ctx.perTensor(scales, zero.values, name)
        return QuantizedOperand(tensor: tensor, scale: scale, zeroPoint: zp)
    }

    /// The output's scale (input `index`) and zero point (`index + 1`, optional: then dtype `fallback` and 0).
    static func outputQuantization(_ ctx: KernelContext, _ index: Int, _ name: String,
                                   fallback: DType) throws -> (scale: Float, zeroPoint: Int32, dtype: DType) {
        let (_, scales) = try ctx.scaleInput(index, "\(name)_scale")
        let zero = try ctx.zeroPointInput(index + 1, "\(name)_zero_point", matching: fallback)
        let (scale, zp) = try ctx.perTensor(scales, zero.values, name)
        return (scale, zp, zero.tensor?.dtype ?? fallback)
    }

    /// Requantizes fp32 results to (scale, zeroPoint, dtype).
    static func requantized(_ real: [Float], shape: [Int], _ output: (scale: Float, zeroPoint: Int32, dtype: DType)) -> Tensor {
        let range = quantizedRanges[output.dtype] ?? 0...255
        return quantizedTensor(real.map { quantizeValue($0, scale: output.scale, zeroPoint: output.zeroPoint, range: range) },
                               shape: shape, dtype: output.dtype)
    }

    /// QLinearLeakyRelu / QLinearSigmoid: inputs X, X_scale, X_zp, Y_scale, Y_zp; Y = requantize(f(dequantize(X))).
    private static func quantizedUnary(_ f: @escaping @Sendable (KernelContext) throws -> (Float) -> Float) -> OpKernel {
        { ctx in
            let x = try quantizedOperand(ctx, 0, "X")
            let output = try outputQuantization(ctx, 3, "Y", fallback: x.tensor.dtype)
            return [requantizedByTable(x, output, try f(ctx))]
        }
    }

    /// requantize(f((q − zp) · scale)) for every element q of an 8-bit operand, with f evaluated once per possible
    /// input value (a 256-entry table of results) and each element looked up: the same values as mapping every
    /// element through f and ``quantizeValue(_:scale:zeroPoint:range:)``.
    static func requantizedByTable(_ x: QuantizedOperand, _ output: (scale: Float, zeroPoint: Int32, dtype: DType),
                                   _ f: (Float) -> Float) -> Tensor {
        let inputRange = quantizedRanges[x.tensor.dtype] ?? 0...255, outputRange = quantizedRanges[output.dtype] ?? 0...255
        let table = inputRange.map {
            quantizeValue(f(Float($0 - x.zeroPoint) * x.scale), scale: output.scale, zeroPoint: output.zeroPoint,
                          range: outputRange)
        }
        let low = Int(inputRange.lowerBound)
        func mapped<X: FixedWidthInteger, Y: FixedWidthInteger & TensorScalar>(_ values: [X], _: Y.Type) -> Tensor {
            let narrow = table.map { Y(truncatingIfNeeded: $0) }
            let out = narrow.withUnsafeBufferPointer { t in values.map { t[Int($0) - low] } }
            return Tensor(shape: x.tensor.shape, values: out)
        }
        switch (x.tensor.storage, output.dtype) {
        case (.uint8(let v), .uint8): return mapped(v, UInt8.self)
        case (.uint8(let v), .int8): return mapped(v, Int8.self)
        case (.int8(let v), .uint8): return mapped(v, UInt8.self)
        case (.int8(let v), .int8): return mapped(v, Int8.self)
        default: return quantizedTensor(x.values.map { table[Int($0) - low] }, shape: x.tensor.shape, dtype: output.dtype)
        }
    }

    /// QLinearConcat (axis): inputs Y_scale, Y_zp, then (tensor, scale, zero point) triples; every tensor is
    /// requantized to (Y_scale, Y_zp) and the results concatenated along `axis`.
    private static let qLinearConcatKernel: OpKernel = { ctx in
        guard ctx.inputs.count >= 5, (ctx.inputs.count - 2) % 3 == 0 else {
            throw ctx.invalid("expected Y_scale, Y_zero_point and (tensor, scale, zero point) triples, got \(ctx.inputs.count) inputs")
        }
        let operands = try stride(from: 2, to: ctx.inputs.count, by: 3).map { try quantizedOperand(ctx, $0, "X\(($0 - 2) / 3)") }
        let first = operands[0].tensor
        let output = try outputQuantization(ctx, 0, "Y", fallback: first.dtype)
        let axis = try ctx.node.required("axis", ctx.node.int)
        guard (-first.rank..<first.rank).contains(axis) else { throw ctx.invalid("axis \(axis) is out of range for rank \(first.rank)") }
        let a = axis < 0 ? axis + first.rank : axis
        for operand in operands {
            let s = operand.tensor.shape
            guard operand.tensor.dtype == first.dtype, s.count == first.rank,
                  s.indices.allSatisfy({ $0 == a || s[$0] == first.shape[$0] }) else {
                throw ctx.invalid("input \(s) of \(operand.tensor.dtype) does not concatenate with \(first.shape) of \(first.dtype) on axis \(a)")
            }
        }
        let outer = first.shape[..<a].reduce(1, *)
        var shape = first.shape
        shape[a] = operands.reduce(0) { $0 + $1.tensor.shape[a] }
        let parts = operands.map { requantizedByTable($0, output) { $0 } }
        let blocks = operands.map { $0.tensor.shape[a...].reduce(1, *) }
        func joined<Y: TensorScalar>(_: Y.Type) -> Tensor {
            var values = [Y]()
            values.reserveCapacity(shape.reduce(1, *))
            let arrays = parts.map { $0.values(as: Y.self) ?? [] }
            for o in 0..<outer {
                for (part, block) in zip(arrays, blocks) { values.append(contentsOf: part[(o * block)..<((o + 1) * block)]) }
            }
            return Tensor(shape: shape, values: values)
        }
        // The output's dtype is the inputs' (outputQuantization checks Y_zero_point against it): uint8 or int8.
        return [output.dtype == .int8 ? joined(Int8.self) : joined(UInt8.self)]
    }

    /// QLinearAveragePool: X, x_scale, x_zp, y_scale, y_zp with AveragePool's attributes (channels_last 0 only).
    private static let qLinearAveragePoolKernel: OpKernel = { ctx in
        guard try ctx.node.int("channels_last", default: 0) == 0 else { throw ctx.unsupported("channels_last", "1") }
        let x = try quantizedOperand(ctx, 0, "X")
        let output = try outputQuantization(ctx, 3, "y", fallback: x.tensor.dtype)
        let shape = x.tensor.shape
        guard shape.count >= 3, x.values.count > 0 else { throw ctx.invalid("X must be a non-empty N×C×spatial tensor, got \(shape)") }
        let kernel = try ctx.node.required("kernel_shape", ctx.node.ints)
        let ceilMode = try ctx.node.int("ceil_mode", default: 0) != 0
        let countIncludePad = try ctx.node.int("count_include_pad", default: 0) != 0
        let geometry = try ctx.windowGeometry(spatial: Array(shape[2...]), kernel: kernel, ceilMode: ceilMode)
        let y = Pooling.average(x.real, planes: shape[0] * shape[1], geometry: geometry,
                                countIncludePad: countIncludePad, threads: ctx.threads)
        return [requantized(y, shape: Array(shape[..<2]) + geometry.output, output)]
    }

    /// QLinearGlobalAveragePool: X, x_scale, x_zp, y_scale, y_zp; mean over the spatial axes (channels_last 0 only).
    private static let qLinearGlobalAveragePoolKernel: OpKernel = { ctx in
        guard try ctx.node.int("channels_last", default: 0) == 0 else { throw ctx.unsupported("channels_last", "1") }
        let x = try quantizedOperand(ctx, 0, "X")
        let output = try outputQuantization(ctx, 3, "y", fallback: x.tensor.dtype)
        let shape = x.tensor.shape
        guard shape.count >= 3 else { throw ctx.invalid("X must be N×C×spatial, got \(shape)") }
        let planes = shape[0] * shape[1], size = shape[2...].reduce(1, *)
        guard size > 0 else { throw ctx.invalid("X \(shape) has no spatial elements") }
        let real = x.real
        let y = (0..<planes).map { p in real[(p * size)..<((p + 1) * size)].reduce(0, +) / Float(size) }
        return [requantized(y, shape: Array(shape[..<2]) + Array(repeating: 1, count: shape.count - 2), output)]
    }

    static let quantizedMicrosoftOps: [String: OpKernel] = [
        "QGemm": qGemmKernel,
        "QLinearAdd": quantizedBinary(multiply: false),
        "QLinearMul": quantizedBinary(multiply: true),
        "QLinearConcat": qLinearConcatKernel,
        "QLinearAveragePool": qLinearAveragePoolKernel,
        "QLinearGlobalAveragePool": qLinearGlobalAveragePoolKernel,
        "QLinearLeakyRelu": quantizedUnary { ctx in
            let activation = Activation.leakyRelu(alpha: try ctx.node.float("alpha", default: 0.01))
            return { activation($0) }
        },
        "QLinearSigmoid": quantizedUnary { _ in { Activation.sigmoid($0) } },
    ]
}
