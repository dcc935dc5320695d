import QKGraph
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

    /// The MaxPool preparer: attributes read at load; without the Indices output, the window check and the
    /// ``MaxPoolInside`` loops are resolved once per input shape, so a run on u8, s8 or fp32 X whose windows lie
    /// inside it is one output allocation and one C loop. Other runs take ``maxPool(_:prepared:)``.
    static let maxPoolPreparer: KernelPreparer = { prep in
        guard let pool = PreparedPool(prep),
              let columnMajor = try? prep.node.int("storage_order", default: 0) != 0 else { return maxPoolKernel }
        let general: OpKernel = { ctx in try maxPool(ctx, prepared: (pool, columnMajor)) }
        guard !wantsIndices(prep.node) else { return general }
        let plans = LastValueCache<[Int], InsidePlan?>()
        return { ctx in
            let x = try ctx.input(0)
            let plan = try plans.value(for: x.shape) {
                let (planes, geometry) = try poolWindow(ctx, x, prepared: pool)
                return MaxPoolInside(geometry).map { InsidePlan(pool: $0, planes: planes, shape: outputShape(x, geometry)) }
            }
            if let plan, let y = plan.run(x, threads: ctx.threads) { return [y] }
            return try general(ctx)
        }
    }

    /// A ``MaxPoolInside`` with the planes and output shape of one input shape.
    struct InsidePlan: Sendable {
        let pool: MaxPoolInside
        let planes: Int
        let shape: [Int]

        /// Y for u8, s8 or fp32 X, nil for other types.
        func run(_ x: Tensor, threads: Int) -> Tensor? {
            switch x.storage {
            case .float32(let v): Tensor(shape: shape, values: pool(v, planes: planes, threads: threads))
            case .uint8(let v): Tensor(shape: shape, values: pool(v, planes: planes, threads: threads))
            case .int8(let v): Tensor(shape: shape, values: pool(v, planes: planes, threads: threads))
            default: nil
            }
        }
    }

    /// MaxPool over float and 8-bit integer tensors, with the optional Indices output
    /// (flat indices into X; `storage_order` 1 numbers the spatial axes column-major); the attributes are read
    /// at load when `prepared`.
    static func maxPool(_ ctx: KernelContext, prepared: (pool: PreparedPool, columnMajor: Bool)? = nil) throws -> [Tensor] {
        let x = try ctx.input(0)
        let (planes, geometry) = try poolWindow(ctx, x, prepared: prepared?.pool)
        let wantsIndices = wantsIndices(ctx.node)
        let columnMajor = try prepared?.columnMajor ?? (ctx.node.int("storage_order", default: 0) != 0)
        let shape = outputShape(x, geometry)
        func run<T: TensorScalar & Comparable & Numeric>(_ values: [T]) -> [Tensor] {
            let (y, indices) = Pooling.max(values, planes: planes, geometry: geometry, indices: wantsIndices,
                                           columnMajor: columnMajor, threads: ctx.threads)
            let output = Tensor(shape: shape, values: y)
            return indices.map { [output, Tensor(shape: shape, values: $0)] } ?? [output]
        }
        // 16-bit floats pool exactly in fp32 (widening and narrowing back a maximum are exact).
        if x.dtype == .float16 || x.dtype == .bfloat16 {
            let wide = x.converted(to: .float32)
            var outputs = insideMax(wide, planes: planes, geometry: geometry, threads: ctx.threads)
                .flatMap { wantsIndices ? nil : [$0] } ?? run(wide.floatValues)
            outputs[0] = outputs[0].converted(to: x.dtype)
            return outputs
        }
        // Windows inside the input and no indices: the C loops.
        if !wantsIndices, let y = insideMax(x, planes: planes, geometry: geometry, threads: ctx.threads) { return [y] }
        switch x.storage {
        case .float32(let v): return run(v)
        case .float64(let v): return run(v)
        case .int8(let v): return run(v)
        case .uint8(let v): return run(v)
        default: throw ctx.invalid("MaxPool supports float and 8-bit integer tensors, got \(x.dtype)")
        }
    }

    /// ``MaxPoolInside`` for u8, s8 and fp32 X; nil for other types or when a window reaches into the padding or
    /// is dilated.
    private static func insideMax(_ x: Tensor, planes: Int, geometry: WindowGeometry, threads: Int) -> Tensor? {
        MaxPoolInside(geometry).flatMap {
            InsidePlan(pool: $0, planes: planes, shape: outputShape(x, geometry)).run(x, threads: threads)
        }
    }

    /// Whether the node asks for MaxPool's second output (Indices).
    private static func wantsIndices(_ node: Node) -> Bool { node.outputs.count > 1 && !node.outputs[1].isEmpty }

    /// N × C × the window's output sizes.
    private static func outputShape(_ x: Tensor, _ geometry: WindowGeometry) -> [Int] {
        Array(x.shape[..<2]) + geometry.output
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
