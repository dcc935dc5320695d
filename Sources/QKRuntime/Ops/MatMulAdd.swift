import QKGraph
import QKKernels
import QKTensor

extension OpTable {
    /// Float kernels of the "ai.quantkit" domain written by QuantKit's fp32 passes (``MatMulAddFusion``, ``GeluChainFusion``).
    static let quantKitFloatKernels: [String: OpKernel] = [
        MatMulAddFusion.opType: { ctx in try matMulAdd(ctx, packedB: nil) },
        GeluChainFusion.opType: { ctx in try geluChain(ctx) },
    ]

    /// MatMulAdd: y = x · B + bias with x [..., K], B [K, N], bias [N] or [1, …, 1, N]; y has x's leading axes
    /// and N (prefixed with ones when the bias has the higher rank, as Add broadcasts). The rows of y are set to
    /// the bias and the GEMM adds x · B to them (beta = 1), so the bias is added after the first depth block
    /// of the GEMM rather than after the whole product: bit-identical to MatMul then Add when K is at most the
    /// micro-kernel's kc (256), otherwise the sums are associated differently (fp32 rounding only).
    /// `packedB`, when given, is B packed at load time (B is then not read), and the GEMM sets each tile of y to the
    /// bias right before adding to it instead of a separate pass (same bits).
    static func matMulAdd(_ ctx: KernelContext, packedB: PackedGemmB?) throws -> [Tensor] {
        let (x, xValues) = try ctx.floatInput(0)
        let (b, bValues) = try ctx.floatInput(1)
        let (bias, biasValues) = try ctx.floatInput(2)
        guard x.dtype == .float32, b.dtype == .float32, bias.dtype == .float32, x.rank >= 1, b.rank == 2 else {
            throw ctx.invalid("needs float32 x of rank ≥ 1 and a float32 matrix B, "
                              + "got \(x.dtype) \(x.shape) and \(b.dtype) \(b.shape)")
        }
        let k = b.shape[0], n = b.shape[1]
        guard x.shape.last == k else { throw ctx.invalid("inner dimensions differ: x \(x.shape), B \(b.shape)") }
        guard bias.rank >= 1, bias.shape.last == n, bias.count == n else {
            throw ctx.invalid("bias of shape \(bias.shape) does not broadcast along the last axis of length \(n) only")
        }
        var shape = Array(x.shape.dropLast()) + [n]
        if bias.rank > shape.count { shape = Array(repeating: 1, count: bias.rank - shape.count) + shape }
        let rows = x.shape.dropLast().reduce(1, *)
        var y = ctx.outputBuffer(Float.self, count: rows * n)
        if let packedB, packedB.k == k, packedB.n == n, rows > 0, n > 0 {
            // The GEMM sets each tile of y to the bias just before adding x · B to it (same bits, no extra pass).
            xValues.withUnsafeBufferPointer { xp in
                biasValues.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        gemm(transA: false, m: rows, alpha: 1, a: xp.baseAddress!, lda: k, packedB: packedB,
                             bias: bp.baseAddress!, c: yp.baseAddress!, ldc: n, threads: ctx.threads)
                    }
                }
            }
            return [Tensor(shape: shape, values: y)]
        }
        y.withUnsafeMutableBufferPointer { buffer in
            biasValues.withUnsafeBufferPointer { row in
                for i in 0..<rows where n > 0 { (buffer.baseAddress! + i * n).update(from: row.baseAddress!, count: n) }
            }
        }
        guard rows > 0, n > 0, k > 0 else { return [Tensor(shape: shape, values: y)] }
        xValues.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                bValues.withUnsafeBufferPointer { bp in
                    gemm(transA: false, transB: false, m: rows, n: n, k: k, alpha: 1, a: xp.baseAddress!, lda: k,
                         b: bp.baseAddress!, ldb: n, beta: 1, c: yp.baseAddress!, ldc: n, threads: ctx.threads)
                }
            }
        }
        return [Tensor(shape: shape, values: y)]
    }
}
