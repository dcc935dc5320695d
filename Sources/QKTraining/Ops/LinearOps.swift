import QKKernels

/// C ← alpha · op(A) · op(B) + beta · C on row-major arrays, through QKKernels' blocked ``gemm``.
/// op(A) is m×k, op(B) is k×n, C is m×n.
func matmul(_ a: [Float], transA: Bool, _ b: [Float], transB: Bool, m: Int, n: Int, k: Int,
            alpha: Float = 1, beta: Float = 0, into c: inout [Float], threads: Int) {
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                guard let aBase = ap.baseAddress, let bBase = bp.baseAddress, let cBase = cp.baseAddress else { return }
                gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: aBase,
                     lda: transA ? m : k, b: bBase, ldb: transB ? k : n, beta: beta, c: cBase, ldc: n,
                     threads: threads)
            }
        }
    }
}

/// A new m×n array alpha · op(A) · op(B).
func matmul(_ a: [Float], transA: Bool, _ b: [Float], transB: Bool, m: Int, n: Int, k: Int,
            alpha: Float = 1, threads: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    matmul(a, transA: transA, b, transB: transB, m: m, n: n, k: k, alpha: alpha, into: &c, threads: threads)
    return c
}

extension TrainingOps {
    static let linearOps: [String: OpRule] = [
        "Gemm": OpRule(forward: gemmForward, learnableInputs: [0, 1, 2]),
        "MatMul": OpRule(forward: matMulForward, learnableInputs: [0, 1]),
    ]

    /// Gemm: Y = alpha · op(A) · op(B) + beta · C (C broadcast to [M, N]).
    ///
    ///     dA = alpha · dY · op(B)ᵀ  (transposed back when transA)   dB = alpha · op(A)ᵀ · dY  (likewise)
    ///     dC = beta · dY summed over the broadcast axes
    static func gemmForward(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1), c = ctx.optionalInput(inputs, 2)
        let node = ctx.node
        let transA = try node.int("transA", default: 0) != 0, transB = try node.int("transB", default: 0) != 0
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        guard a.rank == 2, b.rank == 2 else { throw ctx.invalid("Gemm needs 2-D A and B, got \(a.shape) and \(b.shape)") }
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw ctx.invalid("Gemm inner sizes differ: A \(a.shape), B \(b.shape)") }
        var y = matmul(a.values, transA: transA, b.values, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       threads: ctx.threads)
        var cMap: BroadcastMap?
        if let c {
            let map = try BroadcastMap(input: c.shape, output: [m, n], ctx: ctx)
            for i in 0..<y.count { y[i] += beta * c.values[map.index(i)] }
            cMap = map
        }
        let threads = ctx.threads
        return OpResult(TrainTensor(shape: [m, n], values: y)) { dy, needs in
            var grads: [TrainTensor?] = Array(repeating: nil, count: inputs.count)
            if needs[0] {
                // dop(A) = alpha · dY · op(B)ᵀ is m×k; A stored k×m when transA: dA = alpha · op(B) · dYᵀ.
                let values = transA
                    ? matmul(b.values, transA: transB, dy.values, transB: true, m: k, n: m, k: n, alpha: alpha, threads: threads)
                    : matmul(dy.values, transA: false, b.values, transB: !transB, m: m, n: k, k: n, alpha: alpha, threads: threads)
                grads[0] = TrainTensor(shape: a.shape, values: values)
            }
            if needs[1] {
                let values = transB
                    ? matmul(dy.values, transA: true, a.values, transB: transA, m: n, n: k, k: m, alpha: alpha, threads: threads)
                    : matmul(a.values, transA: !transA, dy.values, transB: false, m: k, n: n, k: m, alpha: alpha, threads: threads)
                grads[1] = TrainTensor(shape: b.shape, values: values)
            }
            if needs.count > 2, needs[2], let c, let cMap {
                grads[2] = TrainTensor(shape: c.shape, values: cMap.reduce(dy.values, scale: beta))
            }
            return grads
        }
    }

    /// MatMul of A [..., M, K] by a 2-D B [K, N] (leading axes of A flattened into M), or two 2-D operands.
    ///
    ///     dA = dY · Bᵀ    dB = Aᵀ · dY
    static func matMulForward(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
        guard a.rank >= 2, b.rank == 2 else {
            throw ctx.invalid("MatMul training supports A of rank ≥ 2 and a 2-D B, got \(a.shape) and \(b.shape)")
        }
        let k = a.shape[a.rank - 1], n = b.shape[1], m = a.count / max(k, 1)
        guard k == b.shape[0] else { throw ctx.invalid("MatMul inner sizes differ: A \(a.shape), B \(b.shape)") }
        let y = matmul(a.values, transA: false, b.values, transB: false, m: m, n: n, k: k, threads: ctx.threads)
        let threads = ctx.threads
        return OpResult(TrainTensor(shape: Array(a.shape.dropLast()) + [n], values: y)) { dy, needs in
            let da = needs[0]
                ? TrainTensor(shape: a.shape, values: matmul(dy.values, transA: false, b.values, transB: true,
                                                              m: m, n: k, k: n, threads: threads)) : nil
            let db = needs[1]
                ? TrainTensor(shape: b.shape, values: matmul(a.values, transA: true, dy.values, transB: false,
                                                              m: k, n: n, k: m, threads: threads)) : nil
            return [da, db]
        }
    }
}
