import CQKKernels

/// One instruction-set variant of the int8 GEMM: its register tile and C functions.
///
/// Every path computes the same exact integer result (tests check each against ``int8GemmReference``); they differ
/// in speed and in what the CPU must support:
///
/// | path          | instructions                         | tile (MR×NR) | needs                         |
/// |---------------|--------------------------------------|--------------|-------------------------------|
/// | `avx512vnni`  | vpdpbusd (4 u8·s8 products per lane) | 8×32         | AVX-512 F/BW + VNNI           |
/// | `avx2`        | vpmaddubsw + vpmaddwd                | 4×16         | AVX2; weight pairs with       |
/// |               |                                      |              | abs(b₀) + abs(b₁) ≤ 128       |
/// | `avx2Widening`| 16-bit vpmaddwd (no int16 saturation)| 4×16         | AVX2                          |
/// | `portable`    | C loops                              | 4×8          | nothing                       |
///
/// vpmaddubsw adds two u8·s8 products in saturating int16, which is exact only when 255 · (|b₀| + |b₁|) ≤ 32767;
/// ``PackedInt8Weights`` checks every adjacent weight pair when packing for `avx2` and falls back to
/// `avx2Widening` when one fails.
public enum Int8KernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    case avx512vnni
    case avx2
    case avx2Widening
    case portable

    public var description: String { rawValue }

    /// Rows of the register tile (A is packed in panels of this many rows).
    public var mr: Int {
        switch self {
        case .avx512vnni: 8
        case .avx2, .avx2Widening, .portable: 4
        }
    }

    /// Columns of the register tile (B is packed in panels of this many columns).
    public var nr: Int {
        switch self {
        case .avx512vnni: 32
        case .avx2, .avx2Widening: 16
        case .portable: 8
        }
    }

    /// Every path this CPU can run, fastest first.
    public static let available: [Int8KernelPath] = {
        let features = qk_detect_cpu_features()
        var paths: [Int8KernelPath] = []
        if features.avx512f != 0 && features.avx512bw != 0 && features.avx512vnni != 0 { paths.append(.avx512vnni) }
        if features.avx2 != 0 { paths += [.avx2, .avx2Widening] }
        paths.append(.portable)
        return paths
    }()

    /// The fastest path this CPU can run.
    public static let best: Int8KernelPath = available[0]

    typealias MicroKernel = @convention(c) (Int, UnsafePointer<UInt8>?, Int, Int, UnsafePointer<Int8>?,
                                            UnsafeMutablePointer<Int32>?) -> Void
    typealias Finish = @convention(c) (UnsafePointer<Int32>?, Int, Int, Int, Int, UnsafePointer<Int32>?,
                                       UnsafePointer<Int32>?, Int, UnsafePointer<qk_i8_epilogue>?,
                                       UnsafeMutableRawPointer?, Int, Int) -> Void
    typealias Requantize = @convention(c) (Int, UnsafePointer<Int32>?, Int32, Int32, Int32, Int32, Int32,
                                           UnsafeMutablePointer<UInt8>?) -> Void

    /// The MR×NR micro-kernel.
    var tileKernel: MicroKernel {
        switch self {
        case .avx512vnni: qk_i8gemm_vnni_8x32
        case .avx2: qk_i8gemm_avx2_4x16
        case .avx2Widening: qk_i8gemm_avx2wide_4x16
        case .portable: qk_i8gemm_generic_4x8
        }
    }

    /// The 1×NR micro-kernel (GEMV and single leftover rows).
    var rowKernel: MicroKernel {
        switch self {
        case .avx512vnni: qk_i8gemm_vnni_1x32
        case .avx2: qk_i8gemm_avx2_1x16
        case .avx2Widening: qk_i8gemm_avx2wide_1x16
        case .portable: qk_i8gemm_generic_1x8
        }
    }

    /// The epilogue (zero-point correction, bias, requantization, store) for one tile.
    var finishTile: Finish {
        switch self {
        case .avx512vnni: qk_i8_finish_tile_avx512
        case .avx2, .avx2Widening: qk_i8_finish_tile_avx2
        case .portable: qk_i8_finish_tile_generic
        }
    }

    /// The stand-alone requantization of an int32 run.
    var requantizeRun: Requantize {
        switch self {
        case .avx512vnni: qk_i8_requantize_avx512
        case .avx2, .avx2Widening: qk_i8_requantize_avx2
        case .portable: qk_i8_requantize_generic
        }
    }
}
