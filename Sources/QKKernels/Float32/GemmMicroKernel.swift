import CQKKernels

/// One fp32 GEMM micro-kernel variant with its register tile (MR×NR) and cache blocking.
///
/// A micro-kernel computes `C[0..<mr, 0..<nr] = alpha · Ã · B̃ (+ C)` where Ã is an MR×kc panel of op(A)
/// (packed, or rows read in place) and B̃ a packed kc×NR panel of op(B). The variants differ only in ISA; all give the same result up to
/// floating-point summation order (each sums over p in increasing order with fused or unfused multiply-add).
public struct GemmMicroKernel: Sendable, CustomStringConvertible {
    /// The C function: (kc, a, aRowStride, aDepthStride, packedB, c, ldc, mr, nr, alpha, accumulate).
    typealias Function = @convention(c) (Int, UnsafePointer<Float>?, Int, Int, UnsafePointer<Float>?,
                                         UnsafeMutablePointer<Float>?, Int, Int, Int, Float, Int32) -> Void

    public let name: String
    /// Rows of the register tile.
    public let mr: Int
    /// Columns of the register tile.
    public let nr: Int
    /// Depth of one packed panel (elements of K per pass).
    let kc: Int
    /// Rows of op(A) packed per block (a multiple of `mr`).
    let mc: Int
    /// Columns of op(B) packed per block (a multiple of `nr`).
    let nc: Int
    let function: Function

    public var description: String { "\(name) (\(mr)×\(nr))" }

    /// AVX-512F, 12×32 tile (24 zmm accumulators).
    public static let avx512 = GemmMicroKernel(name: "avx512", mr: 12, nr: 32, kc: 256, mc: 144, nc: 3072,
                                               function: qk_sgemm_micro_avx512_12x32)
    /// AVX2 + FMA, 6×16 tile (12 ymm accumulators).
    public static let avx2 = GemmMicroKernel(name: "avx2", mr: 6, nr: 16, kc: 256, mc: 144, nc: 3072,
                                             function: qk_sgemm_micro_avx2_6x16)
    /// Portable C loops, 4×16 tile.
    public static let generic = GemmMicroKernel(name: "generic", mr: 4, nr: 16, kc: 256, mc: 128, nc: 2048,
                                                function: qk_sgemm_micro_generic_4x16)

    /// Every variant this CPU can run, fastest first.
    public static let available: [GemmMicroKernel] = {
        let features = qk_detect_cpu_features()
        var kernels: [GemmMicroKernel] = []
        if features.avx512f != 0 { kernels.append(.avx512) }
        if features.avx2 != 0 && features.fma != 0 { kernels.append(.avx2) }
        kernels.append(.generic)
        return kernels
    }()

    /// The fastest variant this CPU can run.
    public static let best: GemmMicroKernel = available[0]

    /// The variant for a product with `n` columns: up to 16 columns would leave the 32-wide AVX-512 tile half
    /// empty, so the 16-wide AVX2 tile runs them where the CPU has it (as fast per column on CPUs that split
    /// 512-bit FMAs in two, no slower elsewhere); otherwise ``best``.
    public static func best(columns n: Int) -> GemmMicroKernel {
        guard n <= 16, best.nr > 16, let narrow = available.first(where: { $0.nr == 16 }) else { return best }
        return narrow
    }
}
