import QKKernels
import QKTensor

extension OpTable {
    static let linearKernels: [String: OpKernel] = [
        "Gemm": { ctx in try gemmNode(ctx, activation: .identity) },
        "MatMul": matMulKernel,
    ]

    /// Gemm (and FusedGemm with `activation`): Y = f(alpha · op(A) · op(B) + beta · C), with C (optional from
    /// opset 11) broadcast to M×N. `packedB`, when given, is op(B) packed at load time (B is then not read).
    static func gemmNode(_ ctx: KernelContext, activation: Activation, packedB: PackedGemmB? = nil) throws -> [Tensor] {
        let (a, aValues) = try ctx.floatInput(0)
        let (b, bValues) = try ctx.floatInput(1)
        guard a.rank == 2, b.rank == 2, b.dtype == a.dtype else {
            throw ctx.invalid("A and B must be matrices of one dtype, got \(a.dtype) \(a.shape) and \(b.dtype) \(b.shape)")
        }
        let transA = try ctx.node.int("transA", default: 0) != 0, transB = try ctx.node.int("transB", default: 0) != 0
        let alpha = try ctx.node.float("alpha", default: 1), beta = try ctx.node.float("beta", default: 1)
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw ctx.invalid("inner dimensions differ: op(A) is \(m)×\(k), op(B) is \(kb)×\(n)") }
        if let packedB, b.dtype == .float32, packedB.k == k, packedB.n == n, m > 0, n > 0, k > 0,
           let rowBias = try rowInvariantBias(ctx, m: m, n: n, beta: beta) {
            // The GEMM sets each tile of y to beta · C right before adding alpha · A · B to it: the bits of the
            // separate fill below, without its pass over y.
            var y = ctx.outputBuffer(Float.self, count: m * n)
            aValues.withUnsafeBufferPointer { ap in
                rowBias.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        gemm(transA: transA, m: m, alpha: alpha, a: ap.baseAddress!, lda: a.shape[1], packedB: packedB,
                             bias: bp.baseAddress!, c: yp.baseAddress!, ldc: n, threads: ctx.threads)
                    }
                }
            }
            activation.apply(to: &y)
            return [ctx.floatOutput(y, shape: [m, n], as: a.dtype)]
        }
        var y = [Float](repeating: 0, count: m * n)
        var gemmBeta: Float = 0
        if let (c, cValues) = try ctx.optionalFloatInput(2, matching: a.dtype), beta != 0 {
            try broadcastBias(ctx, c.shape, cValues, scaledBy: beta, into: &y, m: m, n: n)
            gemmBeta = 1
        }
        if !y.isEmpty && k > 0, let packedB, b.dtype == .float32, packedB.k == k, packedB.n == n {
            aValues.withUnsafeBufferPointer { ap in
                y.withUnsafeMutableBufferPointer { yp in
                    gemm(transA: transA, m: m, alpha: alpha, a: ap.baseAddress!, lda: a.shape[1], packedB: packedB,
                         beta: gemmBeta, c: yp.baseAddress!, ldc: n, threads: ctx.threads)
                }
            }
        } else if !y.isEmpty && k > 0 {
            aValues.withUnsafeBufferPointer { ap in
                bValues.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!,
                             lda: a.shape[1], b: bp.baseAddress!, ldb: b.shape[1], beta: gemmBeta,
                             c: yp.baseAddress!, ldc: n, threads: ctx.threads)
                    }
                }
            }
        }
        activation.apply(to: &y)
        return [ctx.floatOutput(y, shape: [m, n], as: a.dtype)]
    }

    /// beta · C as one row of n values when C is given, beta ≠ 0 and C is the same for every row (shape [], [1],
    /// [n], [1, 1|n]); nil otherwise.
    private static func rowInvariantBias(_ ctx: KernelContext, m: Int, n: Int, beta: Float) throws -> [Float]? {
        guard let (c, cValues) = try ctx.optionalFloatInput(2, matching: .float32), beta != 0 else { return nil }
        let padded = Array(repeating: 1, count: max(0, 2 - c.shape.count)) + c.shape
        guard padded.count == 2, padded[0] == 1, padded[1] == 1 || padded[1] == n else { return nil }
        return (0..<n).map { beta * cValues[padded[1] == 1 ? 0 : $0] }
    }

    /// y ← beta · C broadcast unidirectionally to m×n (C of shape [], [n], [1|m, 1|n]).
    private static func broadcastBias(_ ctx: KernelContext, _ shape: [Int], _ c: [Float], scaledBy beta: Float,
                                      into y: inout [Float], m: Int, n: Int) throws {
        let padded = Array(repeating: 1, count: max(0, 2 - shape.count)) + shape
        guard padded.count == 2, padded[0] == 1 || padded[0] == m, padded[1] == 1 || padded[1] == n else {
            throw ctx.invalid("C of shape \(shape) does not broadcast to \(m)×\(n)")
        }
        let rowStride = padded[0] == 1 ? 0 : padded[1], columnStride = padded[1] == 1 ? 0 : 1
        for i in 0..<m {
            for j in 0..<n { y[i * n + j] = beta * c[i * rowStride + j * columnStride] }
        }
    }

    /// MatMul with numpy semantics: 1-D operands are promoted (a row for A, a column for B) and the promoted
    /// axis removed from the result; batch axes broadcast. Float dtypes compute in fp32.
    static let matMulKernel: OpKernel = { ctx in try matMul(ctx, packedB: nil) }

    /// MatMul; `packedB`, when given, is the constant 2-D float32 B packed at load time (B is then not read).
    static func matMul(_ ctx: KernelContext, packedB: PackedGemmB?) throws -> [Tensor] {
        let (a, aValues) = try ctx.floatInput(0)
        let (b, bValues) = try ctx.floatInput(1)
        guard b.dtype == a.dtype, a.rank >= 1, b.rank >= 1 else {
            throw ctx.invalid("A and B must be tensors of rank ≥ 1 of one dtype, got \(a.dtype) \(a.shape) and \(b.dtype) \(b.shape)")
        }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let n = bShape[bShape.count - 1]
        guard bShape[bShape.count - 2] == k else {
            throw ctx.invalid("inner dimensions differ: A \(a.shape), B \(b.shape)")
        }
        let plan = try MatMulBatches(ctx, aBatch: Array(aShape.dropLast(2)), bBatch: Array(bShape.dropLast(2)))
        var outShape = plan.shape + [m, n]
        if b.rank == 1 { outShape.removeLast() }
        if a.rank == 1 { outShape.remove(at: outShape.count - (b.rank == 1 ? 1 : 2)) }
        let count = plan.count * m * n
        guard count > 0, k > 0 else {
            return [ctx.floatOutput([Float](repeating: 0, count: count), shape: outShape, as: a.dtype)]
        }
        // Every element is stored by a GEMM with beta = 0 below, so the buffer starts uninitialized.
        var y = ctx.outputBuffer(Float.self, count: count)
        aValues.withUnsafeBufferPointer { ap in
            bValues.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    let ab = ap.baseAddress!, bb = bp.baseAddress!, yb = yp.baseAddress!
                    if let packedB, plan.bIsShared && plan.aIsContiguous, b.dtype == .float32, b.rank == 2,
                       packedB.k == k, packedB.n == n {
                        gemm(transA: false, m: plan.count * m, alpha: 1, a: ab, lda: k, packedB: packedB, beta: 0,
                             c: yb, ldc: n, threads: ctx.threads)
                        return
                    }
                    if plan.bIsShared && plan.aIsContiguous {
                        // B is one matrix for every batch: fold the batches into the rows of A.
                        gemm(transA: false, transB: false, m: plan.count * m, n: n, k: k, alpha: 1, a: ab, lda: k,
                             b: bb, ldb: n, beta: 0, c: yb, ldc: n, threads: ctx.threads)
                        return
                    }
                    let run = { (range: Range<Int>, threads: Int) in
                        for batch in range {
                            let (ai, bi) = plan.operands(batch)
                            gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: ab + ai * m * k, lda: k,
                                 b: bb + bi * k * n, ldb: n, beta: 0, c: yb + batch * m * n, ldc: n, threads: threads)
                        }
                    }
                    if plan.count >= ctx.threads || plan.count * m * n * k < minimumParallelWork {
                        parallelChunks(plan.count, threads: ctx.threads, workPerItem: m * n * k) { run($0, 1) }
                    } else {
                        run(0..<plan.count, ctx.threads)
                    }
                }
            }
        }
        return [ctx.floatOutput(y, shape: outShape, as: a.dtype)]
    }
}

/// The broadcast batch axes of a MatMul and, for each output batch, the A and B matrices it reads.
struct MatMulBatches {
    let shape: [Int]
    let count: Int
    private let aStrides: [Int]
    private let bStrides: [Int]

    init(_ ctx: KernelContext, aBatch: [Int], bBatch: [Int]) throws {
        let rank = max(aBatch.count, bBatch.count)
        let a = Array(repeating: 1, count: rank - aBatch.count) + aBatch
        let b = Array(repeating: 1, count: rank - bBatch.count) + bBatch
        var shape: [Int] = []
        for (x, y) in zip(a, b) {
            guard x == y || x == 1 || y == 1 else {
                throw ctx.invalid("batch axes \(aBatch) and \(bBatch) do not broadcast")
            }
            shape.append(x == 1 ? y : x)
        }
        self.shape = shape
        count = shape.reduce(1, *)
        // Matrix strides per batch axis (0 where the operand is broadcast).
        func strides(_ dims: [Int]) -> [Int] {
            var result = Array(repeating: 0, count: rank), running = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                result[axis] = dims[axis] == 1 ? 0 : running
                running *= dims[axis]
            }
            return result
        }
        aStrides = strides(a)
        bStrides = strides(b)
    }

    /// B is the same matrix for every output batch.
    var bIsShared: Bool { bStrides.allSatisfy { $0 == 0 } }
    /// A's matrices are consecutive in output-batch order (A is not broadcast along any batch axis).
    var aIsContiguous: Bool { zip(aStrides, shape).allSatisfy { stride, size in stride != 0 || size == 1 } }

    /// The A and B matrix indices of output batch `batch`.
    func operands(_ batch: Int) -> (a: Int, b: Int) {
        var rest = batch, a = 0, b = 0
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let index = rest % shape[axis]
            rest /= shape[axis]
            a += index * aStrides[axis]
            b += index * bStrides[axis]
        }
        return (a, b)
    }
}
