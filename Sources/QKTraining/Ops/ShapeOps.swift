extension TrainingOps {
    static let shapeOps: [String: OpRule] = [
        "Flatten": OpRule(forward: flatten, learnableInputs: []),
        "Reshape": OpRule(forward: reshape, learnableInputs: []),
    ]

    /// Flatten to [∏ shape[..<axis], ∏ shape[axis...]] (axis default 1, negative from the end); dx = dy reshaped.
    static func flatten(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        var axis = try ctx.node.int("axis", default: 1)
        if axis < 0 { axis += x.rank }
        guard (0...x.rank).contains(axis) else { throw ctx.invalid("Flatten axis \(axis) is out of range for \(x.shape)") }
        let outer = x.shape[..<axis].reduce(1, *)
        return OpResult(x.reshaped([outer, x.count / max(outer, 1)])) { dy, _ in [dy.reshaped(x.shape)] }
    }

    /// Reshape to a constant shape (0 copies the input dimension unless allowzero, −1 is inferred);
    /// dx = dy reshaped.
    static func reshape(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        guard ctx.node.inputs.count > 1, let shapeTensor = ctx.constants[ctx.node.inputs[1]] else {
            throw ctx.invalid("Reshape needs a constant shape input to be trained")
        }
        let allowZero = try ctx.node.int("allowzero", default: 0) != 0
        var shape = shapeTensor.int64Values.map(Int.init)
        for i in shape.indices where shape[i] == 0 && !allowZero {
            guard i < x.rank else { throw ctx.invalid("Reshape shape \(shape) copies a missing dimension") }
            shape[i] = x.shape[i]
        }
        if let unknown = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            guard known > 0, x.count % known == 0 else { throw ctx.invalid("cannot reshape \(x.shape) to \(shape)") }
            shape[unknown] = x.count / known
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == x.count else {
            throw ctx.invalid("cannot reshape \(x.shape) to \(shape)")
        }
        return OpResult(x.reshaped(shape)) { dy, needs in [dy.reshaped(x.shape)] + Array(repeating: nil, count: needs.count - 1) }
    }
}
