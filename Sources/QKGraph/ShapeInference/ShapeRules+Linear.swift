import QKTensor

/// Shape functions of matrix products: MatMul, Gemm and their integer / quantized forms.
extension ShapeInference {
    static let linearRules: [String: ShapeRule] = [
        "MatMul": matMul(a: 0, b: 1, dtype: { $0.dtype(0) }),
        "MatMulInteger": matMul(a: 0, b: 1, dtype: { _ in .int32 }),
        "QLinearMatMul": matMul(a: 0, b: 3, dtype: { $0.dtype(7) ?? $0.dtype(0) }),
        "Gemm": gemm,
    ]

    /// numpy `matmul`: `[…, M, K] · […, K, N] → [broadcast(…), M, N]`; a 1-D A is `[1, K]` and a 1-D B is
    /// `[K, 1]`, with that 1 removed from the result. The inner sizes K must agree.
    static func matMul(a: Int, b: Int, dtype: @escaping @Sendable (ShapeRuleContext) -> DType?) -> ShapeRule {
        return { context in
            guard let shapeA = context.shape(a), let shapeB = context.shape(b) else {
                return [context.output(dtype(context), nil)]
            }
            guard !shapeA.isEmpty, !shapeB.isEmpty else {
                throw context.failure("operands must have rank ≥ 1, got \(describe(shapeA)) and \(describe(shapeB))")
            }
            let left = shapeA.count == 1 ? [.known(1)] + shapeA : shapeA
            let right = shapeB.count == 1 ? shapeB + [.known(1)] : shapeB
            let innerA = left[left.count - 1], innerB = right[right.count - 2]
            guard Dimension.merge(innerA, innerB) != nil else {
                throw context.failure("inner dimensions differ: \(describe(shapeA)) · \(describe(shapeB))")
            }
            guard let batch = try broadcast([Array(left.dropLast(2)), Array(right.dropLast(2))], context) else {
                return [context.output(dtype(context), nil)]
            }
            var shape = batch
            if shapeA.count > 1 { shape.append(left[left.count - 2]) }
            if shapeB.count > 1 { shape.append(right[right.count - 1]) }
            return [context.output(dtype(context), shape)]
        }
    }

    /// `Y[M, N] = α · A'[M, K] · B'[K, N] + β · C` with A' = Aᵀ when `transA`, B' = Bᵀ when `transB`.
    static let gemm: ShapeRule = { context in
        guard let shapeA = context.shape(0), let shapeB = context.shape(1) else {
            return [context.output(context.dtype(0), nil)]
        }
        guard shapeA.count == 2, shapeB.count == 2 else {
            throw context.failure("A and B must be matrices, got \(describe(shapeA)) and \(describe(shapeB))")
        }
        let transA = try context.node.int("transA", default: 0) != 0
        let transB = try context.node.int("transB", default: 0) != 0
        let (m, kA) = transA ? (shapeA[1], shapeA[0]) : (shapeA[0], shapeA[1])
        let (kB, n) = transB ? (shapeB[1], shapeB[0]) : (shapeB[0], shapeB[1])
        guard Dimension.merge(kA, kB) != nil else {
            throw context.failure("inner dimensions differ: A \(describe(shapeA)) (transA \(transA)), B \(describe(shapeB)) (transB \(transB))")
        }
        return [context.output(context.dtype(0), [m, n])]
    }
}
