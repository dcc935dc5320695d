import QKKernels
import QKTensor

extension OpTable {
    static let poolingKernels: [String: OpKernel] = [
        "MaxPool": maxPoolKernel,
        "AveragePool": { try averagePool($0) },
        "LpPool": { ctx in
            let p = Float(try ctx.node.int("p", default: 2))
            return try floatPool(ctx) { x, planes, g in Pooling.lp(x, planes: planes, geometry: g, p: p, threads: ctx.threads) }
        },
        "GlobalAveragePool": { ctx in
            try globalPool(ctx) { x, planes, size in
                (0..<planes).map { plane in x[plane * size..<(plane + 1) * size].reduce(0, +) / Float(size) }
            }
        },
        "GlobalMaxPool": { ctx in
            try globalPool(ctx) { x, planes, size in
                (0..<planes).map { plane in x[plane * size..<(plane + 1) * size].max() ?? 0 }
            }
        },
    ]

    /// AveragePool, with `count_include_pad` and the window read at load when `prepared`.
    static func averagePool(_ ctx: KernelContext, prepared: (pool: PreparedPool, countIncludePad: Bool)? = nil) throws -> [Tensor] {
        let countIncludePad = try prepared?.countIncludePad ?? (ctx.node.int("count_include_pad", default: 0) != 0)
        return try floatPool(ctx, prepared: prepared?.pool) { x, planes, g in
            Pooling.average(x, planes: planes, geometry: g, countIncludePad: countIncludePad, threads: ctx.threads)
        }
    }

    /// The N·C planes and window of a pooling node's input (kernel_shape required), the attributes read at
    /// load when `prepared`.
    private static func poolWindow(_ ctx: KernelContext, _ x: Tensor,
                                   prepared: PreparedPool? = nil) throws -> (planes: Int, geometry: WindowGeometry) {
        guard x.rank >= 3 else { throw ctx.invalid("X must be N×C×spatial, got shape \(x.shape)") }
        guard x.count > 0 else { throw ctx.invalid("X \(x.shape) must not be empty") }
        let geometry: WindowGeometry
        if let prepared {
            geometry = try prepared.window.geometry(ctx, spatial: Array(x.shape[2...]), kernel: prepared.kernel)
        } else {
            let kernel = try ctx.node.required("kernel_shape", ctx.node.ints)
            let ceilMode = try ctx.node.int("ceil_mode", default: 0) != 0
            geometry = try ctx.windowGeometry(spatial: Array(x.shape[2...]), kernel: kernel, ceilMode: ceilMode)
        }
        // A pad as large as the kernel makes windows that lie wholly in padding (onnxruntime refuses these too).
        if let axis = geometry.kernel.indices.first(where: {
            geometry.padsBegin[$0] >= geometry.kernel[$0] || geometry.padsEnd[$0] >= geometry.kernel[$0]
        }) {
            throw ctx.invalid("pads \(geometry.padsBegin + geometry.padsEnd) must be smaller than kernel_shape "
                + "\(geometry.kernel) (spatial axis \(axis))")
        }
        return (x.shape[0] * x.shape[1], geometry)
    }

    /// AveragePool / LpPool: fp32 compute for any floating-point dtype.
    private static func floatPool(_ ctx: KernelContext, prepared: PreparedPool? = nil,
                                  _ pool: ([Float], Int, WindowGeometry) -> [Float]) throws -> [Tensor] {
        let (x, values) = try ctx.floatInput(0)
        let (planes, geometry) = try poolWindow(ctx, x, prepared: prepared)
        let y = pool(values, planes, geometry)
        return [ctx.floatOutput(y, shape: Array(x.shape[..<2]) + geometry.output, as: x.dtype)]
    }

    /// MaxPool reading its attributes on every run.
    static let maxPoolKernel: OpKernel = { try maxPool($0) }

    /// MaxPool over float and 8-bit integer tensors, with the optional Indices output
    /// (flat indices into X; `storage_order` 1 numbers the spatial axes column-major); the attributes are read
    /// at load when `prepared`.
    static func maxPool(_ ctx: KernelContext, prepared: (pool: PreparedPool, columnMajor: Bool)? = nil) throws -> [Tensor] {
        let x = try ctx.input(0)
        let (planes, geometry) = try poolWindow(ctx, x, prepared: prepared?.pool)
        let wantsIndices = ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        let columnMajor = try prepared?.columnMajor ?? (ctx.node.int("storage_order", default: 0) != 0)
        let shape = Array(x.shape[..<2]) + geometry.output
        func run<T: TensorScalar & Comparable & Numeric>(_ values: [T]) -> [Tensor] {
            let (y, indices) = Pooling.max(values, planes: planes, geometry: geometry, indices: wantsIndices,
                                           columnMajor: columnMajor, threads: ctx.threads)
            let output = Tensor(shape: shape, values: y)
            return indices.map { [output, Tensor(shape: shape, values: $0)] } ?? [output]
        }
        // Windows inside the input and no indices: the C loops.
        if !wantsIndices, let y = insideMax(x, planes: planes, geometry: geometry, threads: ctx.threads) { return [y] }
        switch x.storage {
        case .float32(let v): return run(v)
        case .float64(let v): return run(v)
        case .float16(let v): return run(v)
        case .int8(let v): return run(v)
        case .uint8(let v): return run(v)
        case .bfloat16:
            var outputs = run(x.floatValues)
            outputs[0] = outputs[0].converted(to: .bfloat16)
            return outputs
        default: throw ctx.invalid("MaxPool supports float and 8-bit integer tensors, got \(x.dtype)")
        }
    }

    /// ``Pooling/maxInside(_:planes:geometry:threads:)`` for u8, s8 and fp32 X; nil for other types or when a
    /// window reaches into the padding or is dilated.
    private static func insideMax(_ x: Tensor, planes: Int, geometry: WindowGeometry, threads: Int) -> Tensor? {
        let shape = Array(x.shape[..<2]) + geometry.output
        func wrap<T: TensorScalar>(_ y: [T]?) -> Tensor? { y.map { Tensor(shape: shape, values: $0) } }
        switch x.storage {
        case .float32(let v): return wrap(Pooling.maxInside(v, planes: planes, geometry: geometry, threads: threads))
        case .uint8(let v): return wrap(Pooling.maxInside(v, planes: planes, geometry: geometry, threads: threads))
        case .int8(let v): return wrap(Pooling.maxInside(v, planes: planes, geometry: geometry, threads: threads))
        default: return nil
        }
    }

    /// GlobalAveragePool / GlobalMaxPool: one value per N·C plane, output N×C×1×…×1.
    private static func globalPool(_ ctx: KernelContext, _ pool: ([Float], Int, Int) -> [Float]) throws -> [Tensor] {
        let (x, values) = try ctx.floatInput(0)
        guard x.rank >= 3 else { throw ctx.invalid("X must be N×C×spatial, got shape \(x.shape)") }
        let planes = x.shape[0] * x.shape[1], size = x.shape[2...].reduce(1, *)
        guard size > 0 else { throw ctx.invalid("X \(x.shape) has an empty spatial extent") }
        let y = pool(values, planes, size)
        return [ctx.floatOutput(y, shape: Array(x.shape[..<2]) + Array(repeating: 1, count: x.rank - 2), as: x.dtype)]
    }
}
