import QKTensor

/// Shape functions of the operators that make and convert shape tensors: Shape, Size, Constant,
/// ConstantOfShape, Cast and Range. These are the sources of propagated data.
extension ShapeInference {
    static let shapeOpRules: [String: ShapeRule] = [
        "Shape": shapeOf,
        "Constant": constant,
        "ConstantOfShape": constantOfShape,
        "Cast": cast,
        "Range": range,
        "Size": { context in
            var output = context.output(.int64, [])
            if let shape = context.shape(0) { output.data = [DimensionProduct(shape).dimension] }
            return [output]
        },
    ]

    /// The dtype of an ONNX element type code; nil for types QuantKit does not hold (string, float8, …).
    static func stashType(_ code: Int) -> DType? { DType(onnxCode: code) }

    /// `int64[rank]`, or `int64[end − start]` with `start`/`end` (opset 15); data = the selected dimensions.
    static let shapeOf: ShapeRule = { context in
        guard let shape = context.shape(0) else { return [context.output(.int64, [.unknown])] }
        let rank = shape.count
        let clamp = { (index: Int) in min(max(index < 0 ? index + rank : index, 0), rank) }
        let start = clamp(try context.node.int("start", default: 0))
        let end = clamp(try context.node.int("end", default: rank))
        let selected = start < end ? Array(shape[start..<end]) : []
        return [InferredValue(dtype: .int64, data: selected, scalar: false)]
    }

    /// The tensor of `value`, or of `value_int(s)` / `value_float(s)`; `value_string(s)` have no QuantKit dtype.
    static let constant: ShapeRule = { context in
        let node = context.node
        if let tensor = try node.tensor("value") { return [InferredValue(tensor: tensor)] }
        if let value = try node.int("value_int") { return [InferredValue(tensor: Tensor(scalar: Int64(value)))] }
        if let values = try node.ints("value_ints") {
            return [InferredValue(tensor: Tensor(shape: [values.count], values: values.map { Int64($0) }))]
        }
        if let value = try node.float("value_float") { return [InferredValue(tensor: Tensor(scalar: value))] }
        if let values = try node.floats("value_floats") {
            return [InferredValue(tensor: Tensor(shape: [values.count], values: values))]
        }
        if case .strings(let strings) = node.attributes["value_strings"] {
            return [context.output(nil, [.known(strings.count)])]
        }
        if node.attributes["value_string"] != nil { return [context.output(nil, [])] }
        return [.unknown]
    }

    /// Shape = the elements of input 0; dtype = that of the `value` attribute (float32 by default).
    static let constantOfShape: ShapeRule = { context in
        let fill = try context.node.tensor("value")
        let dtype = fill?.dtype ?? .float32
        guard let dims = context.input(0).data else {
            return [context.output(dtype, context.unknownShape(rankFrom: 0))]
        }
        if let negative = dims.first(where: { ($0.value ?? 0) < 0 }) {
            throw context.failure("shape \(describe(dims)) has a negative dimension \(negative)")
        }
        var output = context.output(dtype, dims)
        if let fill, dtype.isInteger, dims.count <= 1, let count = DimensionProduct(dims).dimension.value,
           count <= InferredValue.maxDataCount, let element = fill.int64Values.first {
            output.data = Array(repeating: .known(Int(element)), count: count)
        }
        return [output]
    }

    /// Same shape, dtype `to`; integer data survives a cast between integer types.
    static let cast: ShapeRule = { context in
        let dtype = stashType(try context.node.required("to", context.node.int))
        var output = context.output(dtype, context.shape(0))
        if let dtype, dtype.isInteger, context.dtype(0)?.isInteger == true { output.data = context.input(0).data }
        return [output]
    }

    /// `[max(ceil((limit − start) / delta), 0)]` from constant scalars, with the elements as data for integers;
    /// `Range(0, n, 1)` is `[n]` also for a symbolic n (position ids of a sequence).
    static let range: ShapeRule = { context in
        let dtype = context.dtype(0)
        if let dtype, dtype.isInteger, let start = context.ints(0)?.first, let limit = context.ints(1)?.first,
           let delta = context.ints(2)?.first, delta != 0 {
            let (span, overflow) = limit.subtractingReportingOverflow(start)
            guard !overflow else { return [context.output(dtype, [.unknown])] }
            let count = max(span / delta + (span % delta != 0 && (span < 0) == (delta < 0) ? 1 : 0), 0)
            guard count <= InferredValue.maxDataCount else { return [context.output(dtype, [.known(count)])] }
            return [InferredValue(dtype: dtype, data: (0..<count).map { .known(start + $0 * delta) }, scalar: false)]
        }
        if context.ints(0) == [0], context.ints(2) == [1], let limit = context.input(1).data, limit.count == 1 {
            return [context.output(dtype, limit)]
        }
        guard let start = context.floats(0)?.first, let limit = context.floats(1)?.first,
              let delta = context.floats(2)?.first, delta != 0 else {
            return [context.output(dtype, [.unknown])]
        }
        let count = (Double(limit) - Double(start)) / Double(delta)
        return [context.output(dtype, [scaledSize(max(count.rounded(.up), 0), 1)])]
    }
}
