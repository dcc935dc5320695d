import QKTensor

extension OpTable {
    /// Pointwise activations (ActivationFunctions.swift), Clip, and Softmax/LogSoftmax/Hardmax (ActivationSoftmax.swift).
    static let activationKernels: [String: OpKernel] = [
        "Relu": { ctx in [try ctx.mapNumeric(ctx.input(0), ReluFunction())] },
        "LeakyRelu": { ctx in
            [try ctx.mapFloating(ctx.input(0), LeakyReluFunction(alpha: try ctx.node.float("alpha", default: 0.01)))]
        },
        "PRelu": { ctx in
            let (x, slope) = (try ctx.input(0), try ctx.input(1))
            let shape = try ctx.broadcasting { try broadcastShape(x.shape, slope.shape) }
            guard shape == x.shape else { throw ctx.invalid("slope \(slope.shape) must broadcast to the input \(x.shape)") }
            return [try ctx.combine(x, slope, PReluFunction())]
        },
        "ThresholdedRelu": { ctx in
            [try ctx.mapFloating(ctx.input(0), ThresholdedReluFunction(alpha: try ctx.node.float("alpha", default: 1)))]
        },
        "Clip": clipKernel,
        "Sigmoid": { ctx in [try ctx.mapFloating(ctx.input(0), SigmoidFunction())] },
        "Tanh": { ctx in [try ctx.mapFloating(ctx.input(0), TanhFunction())] },
        "Gelu": { ctx in
            let approximate = try ctx.node.string("approximate", default: "none")
            guard approximate == "none" || approximate == "tanh" else { throw ctx.unsupported("approximate", approximate) }
            return [try ctx.mapFloating(ctx.input(0), GeluFunction(tanhApproximation: approximate == "tanh"))]
        },
        "HardSigmoid": { ctx in
            let f = HardSigmoidFunction(alpha: try ctx.node.float("alpha", default: 0.2),
                                        beta: try ctx.node.float("beta", default: 0.5))
            return [try ctx.mapFloating(ctx.input(0), f)]
        },
        "HardSwish": { ctx in [try ctx.mapFloating(ctx.input(0), HardSwishFunction())] },
        "Elu": { ctx in [try ctx.mapFloating(ctx.input(0), EluFunction(alpha: try ctx.node.float("alpha", default: 1)))] },
        "Selu": { ctx in
            let f = SeluFunction(alpha: try ctx.node.float("alpha", default: 1.67326319217681884765625),
                                 gamma: try ctx.node.float("gamma", default: 1.05070102214813232421875))
            return [try ctx.mapFloating(ctx.input(0), f)]
        },
        "Celu": { ctx in [try ctx.mapFloating(ctx.input(0), CeluFunction(alpha: try ctx.node.float("alpha", default: 1)))] },
        "Softplus": { ctx in [try ctx.mapFloating(ctx.input(0), SoftplusFunction())] },
        "Softsign": { ctx in [try ctx.mapFloating(ctx.input(0), SoftsignFunction())] },
        "Mish": { ctx in [try ctx.mapFloating(ctx.input(0), MishFunction())] },
        "Softmax": { ctx in [try ctx.softmax(.softmax)] },
        "LogSoftmax": { ctx in [try ctx.softmax(.logSoftmax)] },
        "Hardmax": { ctx in [try ctx.softmax(.hardmax)] },
    ]

    /// Clip: bounds are the `min`/`max` attributes before opset 11 and optional scalar inputs 1 and 2 from
    /// opset 11 (same dtype as the input); a missing bound is unbounded.
    private static let clipKernel: OpKernel = { ctx in
        let x = try ctx.input(0)
        var (low, high) = (-Double.infinity, Double.infinity)
        var (lowInteger, highInteger) = (Int64.min, Int64.max)
        if ctx.opset < 11 {
            low = Double(try ctx.node.float("min", default: -.infinity))
            high = Double(try ctx.node.float("max", default: .infinity))
        } else {
            for (index, isLow) in [(1, true), (2, false)] {
                guard let bound = ctx.optionalInput(index) else { continue }
                guard bound.count == 1, bound.dtype == x.dtype else {
                    throw ctx.invalid("bound input #\(index) must be a single \(x.dtype) value, "
                                      + "got \(bound.dtype) \(bound.shape)")
                }
                // count == 1 was checked, so both first elements exist.
                let value = bound.converted(to: .float64).values(as: Double.self)?.first ?? .nan
                let integer = bound.int64Values.first ?? 0
                if isLow { (low, lowInteger) = (value, integer) } else { (high, highInteger) = (value, integer) }
            }
        }
        return [try ctx.mapNumeric(x, ClipFunction(low: low, high: high, lowInteger: lowInteger, highInteger: highInteger))]
    }
}
