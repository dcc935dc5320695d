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
        let values: [Int32]
        let scale: Float
        let zeroPoint: Int32

        /// (q − zp) · scale for every element.
        var real: [Float] { values.map { Float($0 - zeroPoint) * scale } }
    }

    /// Operand `index` (uint8 or int8) with its scale (`index + 1`) and optional zero point (`index + 2`).
    static func quantizedOperand(_ ctx: KernelContext, _ index: Int, _ name: String) throws -> QuantizedOperand {
        let (tensor, values) = try ctx.quantizedInput(index, name, allowed: [.uint8, .int8])
        let (_, scales) = try ctx.scaleInput(index + 1, "\(name)_scale")
        let zero = try ctx.zeroPointInput(index + 2, "\(name)_zero_point", matching: tensor.dtype)
        let (scale, zp) = try ctx.perTensor(scales, zero.values, name)
        return QuantizedOperand(tensor: tensor, values: values, scale: scale, zeroPoint: zp)
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

    /// QLinearAdd / QLinearMul: inputs A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp; numpy broadcasting;
    /// C = requantize(f(dequantize(A), dequantize(B))). The dequantized values come from 256-entry tables and
    /// each element is requantized directly (no intermediate fp32 tensors); when one operand repeats over the
    /// other's trailing axes (same shape, scalar, bias-like) the loop reads the 8-bit storage directly.
    private static func quantizedBinary(multiply: Bool) -> OpKernel {
        { ctx in
            let a = try quantizedOperand(ctx, 0, "A"), b = try quantizedOperand(ctx, 3, "B")
            guard a.tensor.dtype == b.tensor.dtype else { throw ctx.invalid("A is \(a.tensor.dtype) but B is \(b.tensor.dtype)") }
            let output = try outputQuantization(ctx, 6, "C", fallback: a.tensor.dtype)
            let op = TableBinaryOp(a: a, b: b, multiply: multiply, output: output)
            if let fast = op.trailingBroadcast(a.tensor, b.tensor, outputType: output.dtype, threads: ctx.threads) {
                return [fast]
            }
            let (shape, values) = try broadcastMap(a.values, a.tensor.shape, b.values, b.tensor.shape, threads: ctx.threads, op)
            return [quantizedTensor(values, shape: shape, dtype: output.dtype)]
        }
    }

    /// QLinearLeakyRelu / QLinearSigmoid: inputs X, X_scale, X_zp, Y_scale, Y_zp; Y = requantize(f(dequantize(X))).
    private static func quantizedUnary(_ f: @escaping @Sendable (KernelContext) throws -> (Float) -> Float) -> OpKernel {
        { ctx in
            let x = try quantizedOperand(ctx, 0, "X")
            let output = try outputQuantization(ctx, 3, "Y", fallback: x.tensor.dtype)
            let g = try f(ctx)
            return [requantized(x.real.map(g), shape: x.tensor.shape, output)]
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
        var real = [Float]()
        real.reserveCapacity(shape.reduce(1, *))
        let parts = operands.map { ($0.real, $0.tensor.shape[a...].reduce(1, *)) }
        for o in 0..<outer {
            for (values, chunk) in parts { real.append(contentsOf: values[(o * chunk)..<((o + 1) * chunk)]) }
        }
        return [requantized(real, shape: shape, output)]
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

/// QLinearAdd/QLinearMul per element: q = quantize(f(tableA[a], tableB[b])) with table[v] = (v − zp) · scale in
/// fp32, the same values the dequantize → fp32 → quantize definition computes.
private struct TableBinaryOp: ElementBinaryOp {
    let tableA: [Float], tableB: [Float]
    let lowA: Int32, lowB: Int32
    let multiply: Bool
    let scale: Float, zeroPoint: Int32, range: ClosedRange<Int32>

    init(a: OpTable.QuantizedOperand, b: OpTable.QuantizedOperand, multiply: Bool,
         output: (scale: Float, zeroPoint: Int32, dtype: DType)) {
        func table(_ operand: OpTable.QuantizedOperand) -> (Int32, [Float]) {
            let range = quantizedRanges[operand.tensor.dtype] ?? 0...255
            return (range.lowerBound, range.map { Float($0 - operand.zeroPoint) * operand.scale })
        }
        (lowA, tableA) = table(a)
        (lowB, tableB) = table(b)
        self.multiply = multiply
        (scale, zeroPoint, range) = (output.scale, output.zeroPoint, quantizedRanges[output.dtype] ?? 0...255)
    }

    @inline(__always)
    func callAsFunction(_ a: Int32, _ b: Int32) -> Int32 {
        let x = tableA[Int(a - lowA)], y = tableB[Int(b - lowB)]
        return quantizeValue(multiply ? x * y : x + y, scale: scale, zeroPoint: zeroPoint, range: range)
    }
}

extension TableBinaryOp {
    /// op over 8-bit `a` and `b` when one of them repeats over the other's trailing elements (same shape, a
    /// scalar, or a suffix of the shape such as a bias), written straight to `outputType` (uint8/int8); nil
    /// otherwise. Add and Mul commute bit for bit in IEEE arithmetic, so the operands may swap roles.
    func trailingBroadcast(_ a: Tensor, _ b: Tensor, outputType: DType, threads: Int) -> Tensor? {
        guard let shape = try? broadcastShape(a.shape, b.shape), outputType == .uint8 || outputType == .int8 else { return nil }
        let count = shape.reduce(1, *)
        func repeatsOver(_ s: [Int]) -> Bool {
            let core = Array(s.drop { $0 == 1 })
            return core.isEmpty || Array(shape.suffix(core.count)) == core
        }
        let swapped = a.count != count
        let (full, part) = swapped ? (b, a) : (a, b)
        guard full.count == count, count > 0, repeatsOver(part.shape) else { return nil }
        let (fullTable, partTable) = swapped ? (tableB, tableA) : (tableA, tableB)
        func run<X: FixedWidthInteger, Y: FixedWidthInteger & TensorScalar>(_ x: [X], _ y: [X], _: Y.Type) -> Tensor {
            let low = Int(X.min), period = y.count
            var out = [Y](repeating: 0, count: count)
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    fullTable.withUnsafeBufferPointer { tx in
                        partTable.withUnsafeBufferPointer { ty in
                            out.withUnsafeMutableBufferPointer { po in
                                parallelChunks(count, threads: count < parallelThreshold ? 1 : threads) { chunk in
                                    var j = chunk.lowerBound % period
                                    for i in chunk {
                                        let u = tx[Int(px[i]) - low], v = ty[Int(py[j]) - low]
                                        po[i] = Y(truncatingIfNeeded: quantizeValue(multiply ? u * v : u + v, scale: scale,
                                                                                    zeroPoint: zeroPoint, range: range))
                                        j = j + 1 == period ? 0 : j + 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return Tensor(shape: shape, values: out)
        }
        switch (full.storage, part.storage) {
        case (.uint8(let x), .uint8(let y)): return outputType == .int8 ? run(x, y, Int8.self) : run(x, y, UInt8.self)
        case (.int8(let x), .int8(let y)): return outputType == .int8 ? run(x, y, Int8.self) : run(x, y, UInt8.self)
        default: return nil
        }
    }
}
