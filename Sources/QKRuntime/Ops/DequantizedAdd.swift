import QKGraph
import QKKernels
import QKTensor

extension OpTable {
    /// DequantizedAdd (ai.quantkit, written by ``IntegerFusion``): inputs a, a_scale, a_zero_point, b, b_scale,
    /// b_zero_point give the fp32 sum
    ///
    ///     y = DequantizeLinear(a, a_scale, a_zero_point) + DequantizeLinear(b, b_scale, b_zero_point)
    ///
    /// with numpy broadcasting: the values (and errors) of the two DequantizeLinear nodes and the Add it replaces.
    /// Same-shape 8-bit operands with constant per-tensor parameters run both dequantizations into one output
    /// (the kernel of ``dequantizeLinear(_:count:type:scale:zeroPoint:into:threads:path:)``) and add in place.
    static let prepareDequantizedAdd: KernelPreparer = { prep in
        let generic: OpKernel = { ctx in
            func dequantized(_ first: Int) throws -> Tensor {
                let node = Node(name: ctx.node.name, opType: "DequantizeLinear", inputs: ["x", "scale", "zero_point"], outputs: ["y"])
                let inputs = Array(ctx.inputs[first..<min(first + 3, ctx.inputs.count)])
                return try standard["DequantizeLinear"]!(KernelContext(node: node, inputs: inputs, opset: 19, threads: ctx.threads))[0]
            }
            let add = Node(name: ctx.node.name, opType: "Add", inputs: ["a", "b"], outputs: ["y"])
            return try standard["Add"]!(KernelContext(node: add, inputs: [dequantized(0), dequantized(3)], opset: 14, threads: ctx.threads))
        }
        guard let a = constantParameter(prep, 1, "a"), let b = constantParameter(prep, 4, "b") else { return generic }
        return { ctx in
            guard ctx.inputs.count == 6, let x = ctx.inputs[0], let y = ctx.inputs[3], x.shape == y.shape,
                  x.dtype == (a.zeroType ?? .uint8), y.dtype == (b.zeroType ?? .uint8),
                  x.dtype == .uint8 || x.dtype == .int8, y.dtype == .uint8 || y.dtype == .int8 else { return try generic(ctx) }
            let count = x.count, threads = ctx.threads
            func dequantize(_ t: Tensor, _ p: (scale: Float, zeroPoint: Int32, zeroType: DType?), into out: UnsafeMutablePointer<Float>) {
                t.storage.withElementBytes { source in
                    if let from = source.baseAddress {
                        dequantizeLinear(from, count: count, type: t.dtype == .int8 ? .int8 : .uint8, scale: p.scale,
                                         zeroPoint: p.zeroPoint, into: out, threads: threads)
                    }
                }
            }
            var values = ctx.outputBuffers?.take(Float.self, count: count) ?? [Float](unsafeUninitializedCapacity: count) { $1 = count }
            values.withUnsafeMutableBufferPointer { out in
                guard let sum = out.baseAddress else { return }
                dequantize(x, a, into: sum)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { other in
                    guard let addend = other.baseAddress else { return }
                    dequantize(y, b, into: addend)
                    for i in 0..<count { sum[i] = sum[i] + addend[i] }
                }
            }
            return [Tensor(shape: x.shape, values: values)]
        }
    }
}
