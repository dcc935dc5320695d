import QKGraph
import QKTensor

/// Ops that create a tensor from attributes or from a shape: Constant, ConstantOfShape, Range, EyeLike.
enum ShapeGenerators {
    /// Constant: exactly one of `value` (tensor), `value_float(s)`, `value_int(s)`;
    /// string and sparse values are not supported.
    static func constant(_ ctx: KernelContext) throws -> [Tensor] {
        let node = ctx.node
        for unsupported in ["value_string", "value_strings", "sparse_value"] where node.attributes[unsupported] != nil {
            throw ctx.unsupported(unsupported, "(string/sparse constants)")
        }
        if let value = try node.tensor("value") { return [value] }
        if let v = try node.float("value_float") { return [Tensor(scalar: v)] }
        if let v = try node.floats("value_floats") { return [Tensor(shape: [v.count], values: v)] }
        if let v = try node.int("value_int") { return [Tensor(scalar: Int64(v))] }
        if let v = try node.ints("value_ints") { return [Tensor(shape: [v.count], values: v.map { Int64($0) })] }
        throw ctx.invalid("needs one of the attributes value, value_float(s), value_int(s)")
    }

    /// ConstantOfShape: a tensor of the int64 input shape filled with the one-element `value` attribute
    /// (default float32 0).
    static func constantOfShape(_ ctx: KernelContext) throws -> [Tensor] {
        let shape = try ctx.input(0, as: Int64.self).map { Int($0) }
        guard DataMovement.elementCount(shape) != nil else { throw ctx.invalid("shape \(shape) has a negative dim or is too large") }
        let value = try ctx.node.tensor("value") ?? Tensor(scalar: Float(0))
        guard value.count == 1 else { throw ctx.invalid("value must hold one element, got shape \(value.shape)") }
        let plan = AxisGather(shape: shape, offsets: shape.map { Array(repeating: 0, count: $0) })
        return [try value.gathered(plan, threads: ctx.threads)]
    }

    /// Range: `start + i·delta` for `i in 0..<max(ceil((limit − start) / delta), 0)`, all inputs scalars of one
    /// dtype. Integers are computed exactly in Int64, floats in Double and rounded once to the dtype.
    static func range(_ ctx: KernelContext) throws -> [Tensor] {
        let start = try ctx.input(0), limit = try ctx.input(1), delta = try ctx.input(2)
        guard start.count == 1, limit.count == 1, delta.count == 1 else {
            throw ctx.invalid("start, limit and delta must be scalars, got shapes \(start.shape), \(limit.shape), \(delta.shape)")
        }
        guard limit.dtype == start.dtype, delta.dtype == start.dtype else {
            throw ctx.invalid("start, limit and delta must share a dtype, got \(start.dtype), \(limit.dtype), \(delta.dtype)")
        }
        let dtype = start.dtype
        if dtype.isFloatingPoint {
            let s = start.converted(to: .float64).values(as: Double.self)?[0] ?? 0
            let l = limit.converted(to: .float64).values(as: Double.self)?[0] ?? 0
            let d = delta.converted(to: .float64).values(as: Double.self)?[0] ?? 0
            guard d != 0, d.isFinite, s.isFinite, l.isFinite else { throw ctx.invalid("delta must be nonzero and all inputs finite") }
            let steps = ((l - s) / d).rounded(.up)
            guard steps < Double(Int32.max) else { throw ctx.invalid("range of \(steps) elements is too large") }
            let n = max(Int(steps), 0)
            let values = (0..<n).map { s + Double($0) * d }
            return [Tensor(shape: [n], values: values).converted(to: dtype)]
        }
        guard dtype.isInteger else { throw ctx.invalid("unsupported dtype \(dtype)") }
        let s = start.int64Values[0], l = limit.int64Values[0], d = delta.int64Values[0]
        guard d != 0 else { throw ctx.invalid("delta must be nonzero") }
        let span = l.subtractingReportingOverflow(s)
        guard !span.overflow else { throw ctx.invalid("limit − start overflows int64") }
        let q = span.partialValue / d, exact = span.partialValue % d == 0
        let n = Int(max(exact || (span.partialValue < 0) != (d < 0) ? q : q + 1, 0))
        let values = (0..<n).map { s &+ Int64($0) &* d }
        return [Tensor(shape: [n], values: values).converted(to: dtype)]
    }

    /// EyeLike: a 2-D tensor of the input's shape with ones on diagonal `k` (row − col = −k), zeros elsewhere;
    /// dtype from the `dtype` attribute (ONNX TensorProto code) or the input's.
    static func eyeLike(_ ctx: KernelContext) throws -> [Tensor] {
        let input = try ctx.input(0)
        guard input.rank == 2 else { throw ctx.invalid("input must be 2-D, got shape \(input.shape)") }
        var dtype = input.dtype
        if let code = try ctx.node.int("dtype") {
            guard let d = DType(onnxCode: code) else { throw ctx.unsupported("dtype", "\(code)") }
            dtype = d
        }
        let k = try ctx.node.int("k", default: 0).clamped(to: -input.shape[0]...input.shape[1])
        let (rows, cols) = (input.shape[0], input.shape[1])
        var values = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows where (0..<cols).contains(r + k) { values[r * cols + r + k] = 1 }
        return [Tensor(shape: [rows, cols], values: values).converted(to: dtype)]
    }
}

private extension Int {
    func clamped(to range: ClosedRange<Int>) -> Int { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
