import QKTensor

/// Shape functions of elementwise, activation and normalization operators (the output keeps the shape, or the
/// broadcast shape, of the inputs).
extension ShapeInference {
    static let elementwiseRules: [String: ShapeRule] = [
        "Add": broadcasting(data: { $0 + $1 }),
        "Sub": broadcasting(data: { $0 - $1 }),
        "Mul": broadcasting(data: { $0 * $1 }),
        "Div": broadcasting(data: { $0 / $1 }),
        "Pow": broadcasting(),
        "Max": broadcasting(data: { Dimension.extreme($0, $1, by: max) }),
        "Min": broadcasting(data: { Dimension.extreme($0, $1, by: min) }),
        "Equal": broadcasting(result: .bool),
        "Less": broadcasting(result: .bool),
        "Greater": broadcasting(result: .bool),
        "Where": { context in
            let shape = try broadcast((0..<3).map { context.shape($0) }, context)
            return [context.output(context.dtype(1) ?? context.dtype(2), shape)]
        },
        "Not": { context in [context.output(.bool, context.shape(0))] },
        "Sqrt": sameAsInput,
        "Exp": sameAsInput,
        "Log": sameAsInput,
        "Neg": { context in
            var output = context.output(context.dtype(0), context.shape(0))
            output.data = context.input(0).data?.map { .known(0) - $0 }
            return [output]
        },
        "Abs": sameAsInput,
        "Reciprocal": sameAsInput,
        "Floor": sameAsInput,
        "Ceil": sameAsInput,
        "Relu": sameAsInput,
        "LeakyRelu": sameAsInput,
        "Clip": sameAsInput,
        "Sigmoid": sameAsInput,
        "Tanh": sameAsInput,
        "Erf": sameAsInput,
        "Gelu": sameAsInput,
        "HardSigmoid": sameAsInput,
        "HardSwish": sameAsInput,
        "Softmax": sameAsInput,
        "LogSoftmax": sameAsInput,
        "Identity": { context in [context.input(0)] },
        "Dropout": { context in
            [context.output(context.dtype(0), context.shape(0)), context.output(.bool, context.shape(0))]
        },
        "BatchNormalization": { context in
            // Outputs 1 and 2 (training mode) are the running mean and variance, shaped like the scale [C].
            let statistics = context.output(context.dtype(3) ?? context.dtype(0), context.shape(3))
            return [context.output(context.dtype(0), context.shape(0)), statistics, statistics]
        },
        "LayerNormalization": layerNormalization,
        "InstanceNormalization": sameAsInput,
        "MeanVarianceNormalization": sameAsInput,
        "LpNormalization": sameAsInput,
        "LRN": sameAsInput,
        "GreaterOrEqual": broadcasting(result: .bool),
        "LessOrEqual": broadcasting(result: .bool),
        "And": broadcasting(result: .bool),
        "Or": broadcasting(result: .bool),
        "Xor": broadcasting(result: .bool),
        "Mod": broadcasting(),
        "PRelu": broadcasting(),
        "Sum": broadcasting(),
        "Mean": broadcasting(),
        "IsNaN": { context in [context.output(.bool, context.shape(0))] },
        "IsInf": { context in [context.output(.bool, context.shape(0))] },
        "CastLike": { context in [context.output(context.dtype(1), context.shape(0))] },
        "Sign": sameAsInput,
        "Round": sameAsInput,
        "Sin": sameAsInput,
        "Cos": sameAsInput,
        "Tan": sameAsInput,
        "Asin": sameAsInput,
        "Acos": sameAsInput,
        "Atan": sameAsInput,
        "Sinh": sameAsInput,
        "Cosh": sameAsInput,
        "Elu": sameAsInput,
        "Selu": sameAsInput,
        "Celu": sameAsInput,
        "Softplus": sameAsInput,
        "Softsign": sameAsInput,
        "Mish": sameAsInput,
        "ThresholdedRelu": sameAsInput,
        "Shrink": sameAsInput,
        "Hardmax": sameAsInput,
        "CumSum": sameAsInput,
        "Trilu": sameAsInput,
    ]

    /// One output with the dtype and shape of input 0.
    static let sameAsInput: ShapeRule = { context in [context.output(context.dtype(0), context.shape(0))] }

    /// Multidirectional broadcasting of all inputs; the output has dtype `result` (input 0's when nil) and, when
    /// `data` is given and every input carries data, the elementwise result of `data` on it.
    static func broadcasting(result: DType? = nil,
                             data combine: (@Sendable (Dimension, Dimension) -> Dimension)? = nil) -> ShapeRule {
        return { context in
            let shapes = context.inputs.indices.map { context.shape($0) }
            var output = context.output(result ?? context.dtype(0), try broadcast(shapes, context))
            if let combine, context.inputs.count == 2, let a = context.input(0).data, let b = context.input(1).data,
               a.count == b.count || a.count == 1 || b.count == 1 {
                let count = a.count == 1 ? b.count : a.count
                output.data = (0..<count).map { combine(a[a.count == 1 ? 0 : $0], b[b.count == 1 ? 0 : $0]) }
            }
            return [output]
        }
    }

    /// Right-aligned multidirectional broadcasting (numpy rules) of `shapes`; nil when any rank is unknown.
    static func broadcast(_ shapes: [[Dimension]?], _ context: ShapeRuleContext) throws -> [Dimension]? {
        var known: [[Dimension]] = []
        for shape in shapes {
            guard let shape else { return nil }
            known.append(shape)
        }
        let rank = known.map(\.count).max() ?? 0
        return try (0..<rank).map { position in
            let dims = known.compactMap { shape -> Dimension? in
                let index = position - (rank - shape.count)
                return index >= 0 ? shape[index] : nil
            }
            guard let dim = Dimension.broadcast(dims) else {
                throw context.failure("cannot broadcast shapes \(known.map(describe).joined(separator: " and "))")
            }
            return dim
        }
    }

    /// Y like X; Mean and InvStdDev keep the leading `axis` dimensions and are 1 from `axis` on.
    static let layerNormalization: ShapeRule = { context in
        let y = context.output(context.dtype(0), context.shape(0))
        guard let shape = context.shape(0) else { return [y] }
        let axis = try context.normalizedAxis(try context.node.int("axis", default: -1), rank: shape.count)
        let reduced = Array(shape[..<axis]) + Array(repeating: Dimension.known(1), count: shape.count - axis)
        let statistics = context.output(stashType(try context.node.int("stash_type", default: 1)), reduced)
        return [y, statistics, statistics]
    }
}
