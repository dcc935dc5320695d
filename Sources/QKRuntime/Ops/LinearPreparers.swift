import QKGraph
import QKKernels
import QKTensor

/// Float kernels built once when a model is loaded: MatMul, Gemm, FusedGemm and MatMulAdd whose B is a constant 2-D
/// float32 tensor pack op(B) into the GEMM micro-kernel's panels ahead of time (``PackedGemmB``), so a run
/// multiplies without repacking the weights. Anything else (B computed at run time, other dtypes, attributes
/// that do not parse) gets the table's kernel, which reports problems when the node runs.
extension OpTable {
    /// The load-time preparer for a float node of the standard or com.microsoft domain, nil when it has none.
    static func floatPreparer(domain: String, opType: String) -> KernelPreparer? {
        switch (domain, opType) {
        case ("", "MatMul"): { try prepareMatMul($0) }
        case ("", "Gemm"): { ctx in try prepareGemm(ctx) { _ in .identity } }
        case ("com.microsoft", "FusedGemm"): { ctx in try prepareGemm(ctx) { try fusedGemmActivation($0) } }
        case (MatMulAddFusion.domain, MatMulAddFusion.opType): { try prepareMatMulAdd($0) }
        default: nil
        }
    }

    /// op(B) of a constant float32 matrix B packed for the GEMM, or nil.
    private static func packedConstant(_ ctx: KernelContext, _ index: Int, transposed: Bool) -> PackedGemmB? {
        guard let b = ctx.optionalInput(index), b.dtype == .float32, b.rank == 2, b.count > 0,
              let values = b.values(as: Float.self) else { return nil }
        let (k, n) = transposed ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        return values.withUnsafeBufferPointer {
            PackedGemmB(transposed: transposed, k: k, n: n, b: $0.baseAddress!, ldb: b.shape[1])
        }
    }

    private static func prepareMatMul(_ ctx: KernelContext) throws -> OpKernel {
        guard let packed = packedConstant(ctx, 1, transposed: false) else { return matMulKernel }
        return { ctx in try matMul(ctx, packedB: packed) }
    }

    private static func prepareMatMulAdd(_ ctx: KernelContext) throws -> OpKernel {
        let packed = packedConstant(ctx, 1, transposed: false)
        return { ctx in try matMulAdd(ctx, packedB: packed) }
    }

    private static func prepareGemm(_ ctx: KernelContext,
                                    activation: @escaping @Sendable (KernelContext) throws -> Activation) throws -> OpKernel {
        let fallback: OpKernel = { ctx in try gemmNode(ctx, activation: activation(ctx)) }
        guard let transB = try? ctx.node.int("transB", default: 0),
              let packed = packedConstant(ctx, 1, transposed: transB != 0),
              let activation = try? activation(ctx) else { return fallback }
        return { ctx in try gemmNode(ctx, activation: activation, packedB: packed) }
    }
}
