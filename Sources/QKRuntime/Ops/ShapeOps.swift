import QKGraph
import QKTensor

extension OpTable {
    /// Ops that only look at or relabel a shape (no element moves), plus the constant generators
    /// (see ShapeGenerators.swift).
    static let shapeKernels: [String: OpKernel] = [
        "Shape": { try ShapeKernels.shape($0) },
        "Size": { try ShapeKernels.size($0) },
        "Reshape": { try ShapeKernels.reshape($0) },
        "Flatten": { try ShapeKernels.flatten($0) },
        "Squeeze": { try ShapeKernels.squeeze($0) },
        "Unsqueeze": { try ShapeKernels.unsqueeze($0) },
        "Identity": { try ShapeKernels.identity($0) },
        "Dropout": { try ShapeKernels.dropout($0) },
        "Constant": { try ShapeGenerators.constant($0) },
        "ConstantOfShape": { try ShapeGenerators.constantOfShape($0) },
        "Range": { try ShapeGenerators.range($0) },
        "EyeLike": { try ShapeGenerators.eyeLike($0) },
    ]
}

enum ShapeKernels {
    /// Shape: the input's dims `shape[start..<end]` as int64; start/end (opset 15) count from the back
    /// when negative and are clamped to `0...rank`.
    static func shape(_ ctx: KernelContext) throws -> [Tensor] {
        try shape(ctx.input(0), start: ctx.node.int("start"), end: ctx.node.int("end"))
    }

    /// Shape with the attributes read: start defaults to 0, end to the rank.
    static func shape(_ data: Tensor, start startValue: Int?, end endValue: Int?) -> [Tensor] {
        let dims = data.shape
        let rank = dims.count
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
        let start = clamp(startValue ?? 0)
        let end = clamp(endValue ?? rank)
        let slice = start < end ? dims[start..<end].map { Int64($0) } : []
        return [Tensor(shape: [slice.count], values: slice)]
    }

    /// Size: the element count as an int64 scalar.
    static func size(_ ctx: KernelContext) throws -> [Tensor] {
        [Tensor(scalar: Int64(try ctx.input(0).count))]
    }

    /// Reshape: target dims from the int64 `shape` input (attribute `shape` before opset 5);
    /// 0 copies the input dim at that position unless `allowzero = 1`, one -1 is inferred.
    static func reshape(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let requested: [Int]
        if ctx.opset < 5 {
            requested = try ctx.node.required("shape", ctx.node.ints)
        } else {
            requested = try ctx.input(1, as: Int64.self).map { Int($0) }
        }
        return try reshape(data, to: requested, allowZero: ctx.node.int("allowzero", default: 0) == 1, ctx)
    }

    /// Reshape with the target dims and `allowzero` read.
    static func reshape(_ data: Tensor, to requested: [Int], allowZero: Bool, _ ctx: KernelContext) throws -> [Tensor] {
        [try data.reshaped(resolveShape(requested, of: data, allowZero: allowZero, ctx))]
    }

    /// The concrete shape `requested` means for `data` under the Reshape rules.
    static func resolveShape(_ requested: [Int], of data: Tensor, allowZero: Bool, _ ctx: KernelContext) throws -> [Int] {
        func failure(_ why: String) -> RuntimeError {
            ctx.invalid("cannot reshape \(data.count) elements \(data.shape) to \(requested): \(why)")
        }
        var dims = requested
        var inferred: Int?
        for (i, d) in requested.enumerated() {
            switch d {
            case -1:
                guard inferred == nil else { throw failure("more than one -1") }
                inferred = i
            case 0 where !allowZero:
                guard i < data.rank else { throw failure("0 at position \(i) has no input dim to copy") }
                dims[i] = data.shape[i]
            case ..<0:
                throw failure("negative dim \(d)")
            default:
                break
            }
        }
        if allowZero, inferred != nil, requested.contains(0) {
            throw failure("allowzero=1 forbids mixing 0 and -1")
        }
        if let i = inferred {
            var others = dims
            others.remove(at: i)
            guard let known = DataMovement.elementCount(others), known > 0, data.count % known == 0 else {
                throw failure("-1 cannot be inferred")
            }
            dims[i] = data.count / known
        }
        guard DataMovement.elementCount(dims) == data.count else { throw failure("element counts differ") }
        return dims
    }

    /// Flatten: `[d0 … d(a-1), da … dn-1] → [d0·…·d(a-1), da·…·dn-1]`, axis in `-rank...rank`.
    static func flatten(_ ctx: KernelContext) throws -> [Tensor] {
        try flatten(ctx.input(0), axis: ctx.node.int("axis", default: 1), ctx)
    }

    /// Flatten with the axis attribute read.
    static func flatten(_ data: Tensor, axis axisValue: Int, _ ctx: KernelContext) throws -> [Tensor] {
        let axis = axisValue < 0 ? axisValue + data.rank : axisValue
        guard (0...data.rank).contains(axis) else {
            throw ctx.invalid("axis \(axisValue) is out of range for rank \(data.rank)")
        }
        let outer = data.shape[..<axis].reduce(1, *)
        return [try data.reshaped([outer, data.shape[axis...].reduce(1, *)])]
    }

    /// Squeeze/Unsqueeze axes: attribute before opset 13, optional int64 input from 13.
    static func axes(_ ctx: KernelContext) throws -> [Int]? {
        if ctx.opset < 13 { return try ctx.node.ints("axes") }
        return try ctx.optionalInput(1).map { t in
            guard let v = t.values(as: Int64.self) else { throw ctx.invalid("axes must be int64, got \(t.dtype)") }
            return v.map { Int($0) }
        }
    }

    /// Squeeze: removes the listed size-1 axes (all size-1 axes when none, or an empty list, are given, as ONNX
    /// Runtime does).
    static func squeeze(_ ctx: KernelContext) throws -> [Tensor] {
        try squeeze(ctx.input(0), axes: axes(ctx), ctx)
    }

    /// Squeeze with the axes read (nil when none are given).
    static func squeeze(_ data: Tensor, axes listed: [Int]?, _ ctx: KernelContext) throws -> [Tensor] {
        guard let listed, !listed.isEmpty else { return [try data.reshaped(data.shape.filter { $0 != 1 })] }
        let drop = Set(try listed.map { try DataMovement.axis($0, rank: data.rank, ctx, "axes entry") })
        for axis in drop where data.shape[axis] != 1 {
            throw ctx.invalid("cannot squeeze axis \(axis) of shape \(data.shape): its size is not 1")
        }
        return [try data.reshaped(data.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element))]
    }

    /// Unsqueeze: inserts size-1 axes at the listed output positions (negative counts from the output's back).
    static func unsqueeze(_ ctx: KernelContext) throws -> [Tensor] {
        try unsqueeze(ctx.input(0), axes: axes(ctx), ctx)
    }

    /// Unsqueeze with the axes read (nil when none are given, an error).
    static func unsqueeze(_ data: Tensor, axes listed: [Int]?, _ ctx: KernelContext) throws -> [Tensor] {
        guard let listed else { throw ctx.invalid("axes are required") }
        let rank = data.rank + listed.count
        let insert = Set(try listed.map { try DataMovement.axis($0, rank: rank, ctx, "axes entry") })
        guard insert.count == listed.count else { throw ctx.invalid("axes \(listed) repeat an axis") }
        var dims = data.shape.makeIterator()
        let shape = (0..<rank).map { insert.contains($0) ? 1 : dims.next() ?? 1 }
        return [try data.reshaped(shape)]
    }

    /// Identity: the input unchanged.
    static func identity(_ ctx: KernelContext) throws -> [Tensor] {
        [try ctx.input(0)]
    }

    /// Dropout at inference: output = input; the optional mask is all true (bool from opset 10, the input's
    /// dtype before). `training_mode = true` with a nonzero ratio is not supported.
    static func dropout(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        if let training = ctx.optionalInput(2) {
            guard let flag = training.values(as: Bool.self), flag.count == 1 else {
                throw ctx.invalid("training_mode must be a bool scalar, got \(training.dtype) \(training.shape)")
            }
            let ratio = ctx.optionalInput(1)?.floatValues.first ?? 0.5
            if flag[0] && ratio != 0 { throw ctx.unsupported("training_mode", "true") }
        }
        guard ctx.node.outputs.count > 1, !ctx.node.outputs[1].isEmpty else { return [data] }
        let mask = Tensor(shape: data.shape, values: [Bool](repeating: true, count: data.count))
        return [data, ctx.opset >= 10 ? mask : mask.converted(to: data.dtype)]
    }
}
