import QKKernels
import QKTensor

/// The QLinearAdd/QLinearMul an IntegerGemm runs on its own 8-bit output (``IntegerFusion``'s post-op fold): the
/// folded node's inputs 9…16 are the QLinear op's eight inputs with the Gemm output's slot empty, and its other
/// operand is a constant scalar or row of N values. Applied in place with the kernel of
/// ``quantizedBinary(_:count:a:b:bPeriod:output:threads:path:)`` and the parameters the QLinear op's own run
/// would pass (the Gemm output first), so the bytes are the op's.
struct IntegerGemmPostOp {
    let parameters: QuantizedBinaryParameters
    /// The constant operand's bytes.
    let operand: [UInt8]

    /// The post-op of the IntegerGemm in `prep`, nil when it has none; throws when its parameters do not fit the
    /// Gemm's output (of `outputType`, N = `columns`).
    init?(_ prep: KernelContext, columns: Int, outputType: DType) throws {
        guard let op = try prep.node.string("post_op") else { return nil }
        guard op == "QLinearAdd" || op == "QLinearMul", prep.node.inputs.count == 17 else {
            throw prep.invalid("unknown post_op \(op) or \(prep.node.inputs.count) inputs")
        }
        let own = prep.node.inputs[9].isEmpty ? 9 : 12, other = own == 9 ? 12 : 9
        guard outputType == .uint8 || outputType == .int8, let b = prep.optionalInput(other),
              b.dtype == outputType, b.rank <= 1, b.count == 1 || b.count == columns,
              let pa = OpTable.constantParameter(prep, own + 1, "A"), let pb = OpTable.constantParameter(prep, other + 1, "B"),
              let pc = OpTable.constantParameter(prep, 15, "C"),
              [pa.zeroType, pb.zeroType, pc.zeroType].allSatisfy({ ($0 ?? outputType) == outputType }) else {
            throw prep.invalid("post_op \(op) has parameters that do not fit the \(outputType) output")
        }
        parameters = QuantizedBinaryParameters(
            operation: op == "QLinearMul" ? .multiply : .add, aScale: pa.scale, aZeroPoint: pa.zeroPoint,
            bScale: pb.scale, bZeroPoint: pb.zeroPoint, signedInputs: outputType == .int8, outputScale: pc.scale,
            outputZeroPoint: pc.zeroPoint, signedOutput: outputType == .int8)
        operand = b.storage.withElementBytes { Array($0) }
    }

    /// Runs the op on the `count` output bytes in place.
    func apply(_ output: Int8Output, count: Int, threads: Int) {
        let bytes: UnsafeMutableRawPointer
        switch output {
        case .uint8(let p, _): bytes = UnsafeMutableRawPointer(p)
        case .int8(let p, _): bytes = UnsafeMutableRawPointer(p)
        case .int32: return
        }
        guard count > 0 else { return }
        operand.withUnsafeBytes { b in
            quantizedBinary(parameters, count: count, a: bytes, b: b.baseAddress!, bPeriod: operand.count,
                            output: bytes, threads: threads)
        }
    }
}
