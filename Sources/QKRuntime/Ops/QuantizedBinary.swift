import QKKernels
import QKTensor

/// QLinearAdd / QLinearMul: inputs A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp (per tensor); numpy
/// broadcasting; C = requantize(dequantize(A) ∘ dequantize(B)) with ∘ = + or ×, in fp32:
///
///     C = clamp(round_half_to_even(((A − A_zp) · A_scale ∘ (B − B_zp) · B_scale) / C_scale) + C_zp, range)
///
/// 8-bit outputs of the common broadcasts (same shape, a scalar, an operand repeated along leading axes, rows of at
/// least ``minimumVectorRow`` elements) run the SIMD kernels of ``quantizedBinary(_:count:a:b:bPeriod:output:threads:path:)``;
/// the rest runs the element-by-element general path. Both give the same bytes (tests check every path).
extension OpTable {
    static func quantizedBinary(multiply: Bool) -> OpKernel {
        { ctx in
            let a = try quantizedOperand(ctx, 0, "A"), b = try quantizedOperand(ctx, 3, "B")
            guard a.tensor.dtype == b.tensor.dtype else { throw ctx.invalid("A is \(a.tensor.dtype) but B is \(b.tensor.dtype)") }
            let output = try outputQuantization(ctx, 6, "C", fallback: a.tensor.dtype)
            if let fast = quantizedBinaryFast(a, b, multiply: multiply, output: output, threads: ctx.threads) {
                return [fast]
            }
            return [try quantizedBinaryGeneral(a, b, multiply: multiply, output: output, threads: ctx.threads)]
        }
    }

    /// Broadcast rows shorter than this take the general path: one kernel call per few elements costs more than the
    /// element-by-element loop.
    static let minimumVectorRow = 16

    /// The element-by-element definition: dequantize through 256-entry tables, fp32 ∘, ``quantizeValue(_:scale:zeroPoint:range:)``.
    static func quantizedBinaryGeneral(_ a: QuantizedOperand, _ b: QuantizedOperand, multiply: Bool,
                                       output: (scale: Float, zeroPoint: Int32, dtype: DType), threads: Int) throws -> Tensor {
        let op = TableBinaryOp(a: a, b: b, multiply: multiply, output: output)
        let (shape, values) = try broadcastMap(a.values, a.tensor.shape, b.values, b.tensor.shape, threads: threads, op)
        return quantizedTensor(values, shape: shape, dtype: output.dtype)
    }

    /// The SIMD path (`path` picks the instruction set) when A and B are 8-bit, the output is uint8/int8, the result
    /// is not empty and the broadcast is one it covers; nil otherwise.
    static func quantizedBinaryFast(_ a: QuantizedOperand, _ b: QuantizedOperand, multiply: Bool,
                                    output: (scale: Float, zeroPoint: Int32, dtype: DType), threads: Int,
                                    path: QuantizedElementwisePath = .best) -> Tensor? {
        guard output.dtype == .uint8 || output.dtype == .int8, a.tensor.dtype == .uint8 || a.tensor.dtype == .int8,
              b.tensor.dtype == a.tensor.dtype, let shape = try? broadcastShape(a.tensor.shape, b.tensor.shape) else {
            return nil
        }
        let count = shape.reduce(1, *)
        guard count > 0 else { return nil }
        let parameters = QuantizedBinaryParameters(
            operation: multiply ? .multiply : .add, aScale: a.scale, aZeroPoint: a.zeroPoint, bScale: b.scale,
            bZeroPoint: b.zeroPoint, signedInputs: a.tensor.dtype == .int8, outputScale: output.scale,
            outputZeroPoint: output.zeroPoint, signedOutput: output.dtype == .int8)
        let plan: QuantizedBinaryPlan
        if let repeated = QuantizedBinaryPlan.repeating(a.tensor, b.tensor, shape: shape, count: count) {
            plan = repeated
        } else {
            let layout = BroadcastLayout(output: shape, operands: [a.tensor.shape, b.tensor.shape])
            guard layout.rowLength >= minimumVectorRow else { return nil }
            plan = .rows(layout)
        }
        func run<Y: TensorScalar & FixedWidthInteger>(_: Y.Type) -> Tensor {
            let values = [Y](unsafeUninitializedCapacity: count) { out, initialized in
                withBytes(a.tensor) { pa in
                    withBytes(b.tensor) { pb in
                        plan.run(parameters, a: pa, b: pb, output: UnsafeMutableRawPointer(out.baseAddress!),
                                 count: count, threads: threads, path: path)
                    }
                }
                initialized = count
            }
            return Tensor(shape: shape, values: values)
        }
        return output.dtype == .int8 ? run(Int8.self) : run(UInt8.self)
    }
}

/// How a broadcast QLinearAdd/QLinearMul maps onto the kernel.
private enum QuantizedBinaryPlan {
    /// One operand has every element, the other repeats along the leading axes (same shape, scalar, bias row);
    /// `swapped`: A is the repeating one.
    case trailingRepeat(swapped: Bool)
    /// Rows of the collapsed broadcast layout; in each row an operand either advances or stays on one element.
    case rows(BroadcastLayout)

    static func repeating(_ a: Tensor, _ b: Tensor, shape: [Int], count: Int) -> QuantizedBinaryPlan? {
        let swapped = a.count != count
        let part = swapped ? a : b
        let core = Array(part.shape.drop { $0 == 1 })
        guard (swapped ? b : a).count == count, core.isEmpty || Array(shape.suffix(core.count)) == core else { return nil }
        return .trailingRepeat(swapped: swapped)
    }

    func run(_ parameters: QuantizedBinaryParameters, a: (UnsafeRawPointer, Int), b: (UnsafeRawPointer, Int),
             output: UnsafeMutableRawPointer, count: Int, threads: Int, path: QuantizedElementwisePath) {
        switch self {
        case .trailingRepeat(let swapped):
            let (full, part) = swapped ? (b, a) : (a, b)
            quantizedBinary(swapped ? parameters.swapped : parameters, count: count, a: full.0, b: part.0,
                            bPeriod: part.1, output: output, threads: threads, path: path)
        case .rows(let layout):
            let length = layout.rowLength
            let (sa, sb) = (layout.strides[0].last!, layout.strides[1].last!)
            parallelChunks(layout.rowCount, threads: threads, workPerItem: 2 * length) { rows in
                for row in rows {
                    let pa = a.0 + layout.offset(row: row, operand: 0), pb = b.0 + layout.offset(row: row, operand: 1)
                    let out = output + row * length
                    if sa == 0 {
                        quantizedBinary(parameters.swapped, count: length, a: pb, b: pa, bPeriod: 1, output: out, path: path)
                    } else {
                        quantizedBinary(parameters, count: length, a: pa, b: pb, bPeriod: sb == 0 ? 1 : length,
                                        output: out, path: path)
                    }
                }
            }
        }
    }
}

/// The bytes of an 8-bit tensor and their count.
private func withBytes<R>(_ tensor: Tensor, _ body: ((UnsafeRawPointer, Int)) -> R) -> R {
    switch tensor.storage {
    case .uint8(let v): v.withUnsafeBytes { body(($0.baseAddress!, $0.count)) }
    case .int8(let v): v.withUnsafeBytes { body(($0.baseAddress!, $0.count)) }
    default: preconditionFailure("withBytes: \(tensor.dtype) is not an 8-bit type")
    }
}

/// QLinearAdd/QLinearMul per element: q = quantize(f(tableA[a], tableB[b])) with table[v] = (v − zp) · scale in
/// fp32, the same values the dequantize → fp32 → quantize definition computes.
struct TableBinaryOp: ElementBinaryOp {
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
