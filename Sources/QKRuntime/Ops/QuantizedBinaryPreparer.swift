import QKGraph
import QKTensor

extension OpTable {
    /// Preparers of com.microsoft QLinearAdd / QLinearMul: when every scale and zero point is a constant (as the
    /// integer fusion writes them) they are read and checked once, at load; a run then only checks the two data
    /// tensors' dtypes against them. Anything else (a parameter computed at run time, a parameter the table kernel
    /// would reject, data of another dtype) runs the table kernel, which computes or reports exactly as before.
    static let quantizedBinaryPreparers: [String: KernelPreparer] = [
        "QLinearAdd": { prep in prepareQuantizedBinary(prep, multiply: false) },
        "QLinearMul": { prep in prepareQuantizedBinary(prep, multiply: true) },
    ]

    private static func prepareQuantizedBinary(_ prep: KernelContext, multiply: Bool) -> OpKernel {
        let table = quantizedBinary(multiply: multiply)
        guard let a = constantParameter(prep, 1, "A"), let b = constantParameter(prep, 4, "B"),
              let c = constantParameter(prep, 6, "C") else { return table }
        return { ctx in
            guard ctx.inputs.count > 3, let x = ctx.inputs[0], let y = ctx.inputs[3],
                  x.dtype == .uint8 || x.dtype == .int8, y.dtype == x.dtype,
                  (a.zeroType ?? x.dtype) == x.dtype, (b.zeroType ?? x.dtype) == x.dtype,
                  (c.zeroType ?? x.dtype) == x.dtype else { return try table(ctx) }
            let qa = QuantizedOperand(tensor: x, scale: a.scale, zeroPoint: a.zeroPoint)
            let qb = QuantizedOperand(tensor: y, scale: b.scale, zeroPoint: b.zeroPoint)
            let output = (scale: c.scale, zeroPoint: c.zeroPoint, dtype: x.dtype)
            if let fast = quantizedBinaryFast(qa, qb, multiply: multiply, output: output, threads: ctx.threads) {
                return [fast]
            }
            return [try quantizedBinaryGeneral(qa, qb, multiply: multiply, output: output, threads: ctx.threads)]
        }
    }

    /// A per-tensor scale (input `index`) and zero point (`index + 1`, omitted = 0 of the data's dtype) that are
    /// both constants and pass the table kernel's checks; nil otherwise. `zeroType` is the zero point's dtype
    /// (nil when omitted), which the data must match.
    static func constantParameter(_ prep: KernelContext, _ index: Int,
                                          _ name: String) -> (scale: Float, zeroPoint: Int32, zeroType: DType?)? {
        func given(_ i: Int) -> Bool { i < prep.node.inputs.count && !prep.node.inputs[i].isEmpty }
        guard given(index), prep.optionalInput(index) != nil,
              !given(index + 1) || prep.optionalInput(index + 1) != nil else { return nil }
        return readAttribute {
            let (_, scales) = try prep.scaleInput(index, "\(name)_scale")
            let zero = try prep.zeroPointInput(index + 1, "\(name)_zero_point", matching: nil)
            let (scale, zeroPoint) = try prep.perTensor(scales, zero.values, name)
            return (scale, zeroPoint, zero.tensor?.dtype)
        }
    }
}
