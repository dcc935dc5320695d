import QKGraph
import QKKernels
import QKTensor

extension OpTable {
    /// Preparers of QuantizeLinear / DequantizeLinear with a constant per-tensor float32 scale and a constant (or
    /// omitted) uint8/int8 zero point, as quantized models hold them: the parameters are read and checked once, at
    /// load, and a run calls the same SIMD kernel as ``fastQuantizeLinear(_:)`` / ``fastDequantizeLinear(_:)``
    /// with the same arguments (so the same bits). Other nodes, and data of another dtype, run the table kernel.
    static let quantizeLinearPreparers: [String: KernelPreparer] = [
        "QuantizeLinear": { prep in
            guard let p = constantPerTensor(prep) else { return quantizeLinearKernel }
            let type: QDQIntegerType = p.zeroType == .int8 ? .int8 : .uint8
            return { ctx in
                guard let x = ctx.inputs.first ?? nil, case .float32(let xs) = x.storage else {
                    return try quantizeLinearKernel(ctx)
                }
                let threads = ctx.threads
                func run<Y: TensorScalar>(_: Y.Type) -> Tensor {
                    let y = [Y](unsafeUninitializedCapacity: xs.count) { out, initialized in
                        xs.withUnsafeBufferPointer { source in
                            if let base = out.baseAddress {
                                quantizeLinear(source, scale: p.scale, zeroPoint: p.zeroPoint, as: type,
                                               into: UnsafeMutableRawPointer(base), threads: threads)
                            }
                        }
                        initialized = xs.count
                    }
                    return Tensor(shape: x.shape, values: y)
                }
                return [type == .int8 ? run(Int8.self) : run(UInt8.self)]
            }
        },
        "DequantizeLinear": { prep in
            guard let p = constantPerTensor(prep) else { return dequantizeLinearKernel }
            return { ctx in
                guard let x = ctx.inputs.first ?? nil, x.dtype == (p.zeroType ?? x.dtype),
                      x.dtype == .uint8 || x.dtype == .int8 else { return try dequantizeLinearKernel(ctx) }
                let type: QDQIntegerType = x.dtype == .int8 ? .int8 : .uint8
                let count = x.count, threads = ctx.threads
                let y = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    x.storage.withElementBytes { source in
                        if let from = source.baseAddress, let to = out.baseAddress {
                            dequantizeLinear(from, count: count, type: type, scale: p.scale, zeroPoint: p.zeroPoint,
                                             into: to, threads: threads)
                        }
                    }
                    initialized = count
                }
                return [Tensor(shape: x.shape, values: y)]
            }
        },
    ]

    /// The scale and zero point of a QuantizeLinear/DequantizeLinear node when both are load-time constants, per
    /// tensor (shape [] or [1]), a positive finite float32 scale and a uint8/int8 zero point (or none), with no
    /// attribute but an integer `axis` (which a per-tensor scale ignores); nil otherwise.
    private static func constantPerTensor(_ prep: KernelContext) -> (scale: Float, zeroPoint: Int32, zeroType: DType?)? {
        guard prep.node.attributes.keys.allSatisfy({ $0 == "axis" }), readAttribute({ try prep.node.int("axis") }) != nil,
              prep.node.inputs.count >= 2,
              let scale = prep.optionalInput(1), case .float32(let scales) = scale.storage, scales.count == 1,
              scale.shape.isEmpty || scale.shape == [1], scales[0] > 0, scales[0].isFinite else { return nil }
        guard prep.node.inputs.count > 2, !prep.node.inputs[2].isEmpty else { return (scales[0], 0, nil) }
        guard let zero = prep.optionalInput(2), zero.shape.isEmpty || zero.shape == [1] else { return nil }
        switch zero.storage {
        case .uint8(let v): return (scales[0], Int32(v[0]), .uint8)
        case .int8(let v): return (scales[0], Int32(v[0]), .int8)
        default: return nil
        }
    }
}
