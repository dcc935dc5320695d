import QKTensor

extension OpTable {
    /// Cast, CastLike (ONNX Cast semantics, see `Tensor.converted(to:)`) and Expand.
    static let castKernels: [String: OpKernel] = [
        "Cast": { ctx in
            let to = try ctx.node.required("to") { try ctx.node.int($0) }
            guard let target = DType(onnxCode: to) else { throw ctx.unsupported("to", "\(to)") }
            return [try ctx.input(0).converted(to: target)]
        },
        "CastLike": { ctx in [try ctx.input(0).converted(to: ctx.input(1).dtype)] },
        "Expand": { ctx in
            let input = try ctx.input(0)
            let shapeTensor = try ctx.input(1)
            guard shapeTensor.dtype == .int64, shapeTensor.rank == 1 else {
                throw ctx.invalid("shape must be a 1-D int64 tensor, got \(shapeTensor.dtype) \(shapeTensor.shape)")
            }
            let requested = shapeTensor.int64Values.map { Int($0) }
            guard requested.allSatisfy({ $0 >= 0 }) else { throw ctx.invalid("shape \(requested) has a negative size") }
            let shape = try ctx.broadcasting { try broadcastShape(input.shape, requested) }
            return [try broadcastTensor(input, to: shape)]
        },
    ]
}
