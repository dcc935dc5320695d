import CQKKernels

/// One instruction-set variant of the quantized elementwise add/multiply (``quantizedBinary(_:count:a:b:bPeriod:output:threads:path:)``).
/// All paths give identical bytes; they differ in speed and in what the CPU must support.
///
/// | path       | lanes | needs    |
/// |------------|-------|----------|
/// | `avx512`   | 16    | AVX-512F |
/// | `avx2`     | 8     | AVX2     |
/// | `portable` | 1     | nothing  |
public enum QuantizedElementwisePath: String, Sendable, CaseIterable, CustomStringConvertible {
    case avx512
    case avx2
    case portable

    public var description: String { rawValue }

    /// Every path this CPU can run, fastest first.
    public static let available: [QuantizedElementwisePath] = {
        let features = qk_detect_cpu_features()
        var paths: [QuantizedElementwisePath] = []
        if features.avx512f != 0 { paths.append(.avx512) }
        if features.avx2 != 0 { paths.append(.avx2) }
        paths.append(.portable)
        return paths
    }()

    /// The fastest path this CPU can run.
    public static let best: QuantizedElementwisePath = available[0]

    typealias Kernel = @convention(c) (UnsafePointer<qk_qbinary_params>?, Int, UnsafeRawPointer?, UnsafeRawPointer?,
                                       Int, UnsafeMutableRawPointer?) -> Void

    var kernel: Kernel {
        switch self {
        case .avx512: qk_qbinary_avx512
        case .avx2: qk_qbinary_avx2
        case .portable: qk_qbinary_generic
        }
    }
}

/// The per-tensor quantization of a quantized add or multiply of two 8-bit operands (QLinearAdd / QLinearMul):
///
///     x = fp32(a − aZeroPoint) · aScale,   y = fp32(b − bZeroPoint) · bScale
///     c = clamp(round_half_to_even((x ∘ y) / outputScale) + outputZeroPoint, 0…255 or −128…127)
///
/// with ∘ = + or ×, every step one fp32 operation in this order (NaN gives outputZeroPoint).
///
/// Example: add, a = 10 (scale 0.5, zero 10) → 0, b = 6 (scale 0.25, zero 0) → 1.5, output scale 1, zero 0:
/// round(1.5) = 2.
public struct QuantizedBinaryParameters: Sendable, Equatable {
    public enum Operation: Sendable, Equatable { case add, multiply }

    public let operation: Operation
    public let aScale: Float, aZeroPoint: Int32
    public let bScale: Float, bZeroPoint: Int32
    /// a and b are int8 (otherwise uint8).
    public let signedInputs: Bool
    public let outputScale: Float, outputZeroPoint: Int32
    /// The output is int8 (otherwise uint8).
    public let signedOutput: Bool

    public init(operation: Operation, aScale: Float, aZeroPoint: Int32, bScale: Float, bZeroPoint: Int32,
                signedInputs: Bool, outputScale: Float, outputZeroPoint: Int32, signedOutput: Bool) {
        self.operation = operation
        (self.aScale, self.aZeroPoint, self.bScale, self.bZeroPoint) = (aScale, aZeroPoint, bScale, bZeroPoint)
        (self.signedInputs, self.outputScale, self.outputZeroPoint) = (signedInputs, outputScale, outputZeroPoint)
        self.signedOutput = signedOutput
    }

    /// The same operation with a and b exchanged (fp32 + and × commute bit for bit, so the results are the same).
    public var swapped: QuantizedBinaryParameters {
        QuantizedBinaryParameters(operation: operation, aScale: bScale, aZeroPoint: bZeroPoint, bScale: aScale,
                                  bZeroPoint: aZeroPoint, signedInputs: signedInputs, outputScale: outputScale,
                                  outputZeroPoint: outputZeroPoint, signedOutput: signedOutput)
    }

    var c: qk_qbinary_params {
        qk_qbinary_params(a_scale: aScale, b_scale: bScale, c_scale: outputScale, a_zero: aZeroPoint, b_zero: bZeroPoint,
                          c_zero: outputZeroPoint, multiply: operation == .multiply ? 1 : 0,
                          signed_inputs: signedInputs ? 1 : 0, signed_output: signedOutput ? 1 : 0)
    }
}

/// b runs shorter than this are repeated into a longer buffer first, so the vector loop gets long runs.
private let shortPeriod = 128

/// Output element i = a[i] ∘ b[i % bPeriod] (see ``QuantizedBinaryParameters`` for the formula), one byte each, for
/// i < count: `bPeriod` = count is the same shape, 1 a scalar b, anything between a b repeated along the leading
/// axes (a bias row). `count` must be a multiple of `bPeriod`; a, b and output are bytes (uint8 or int8 as the
/// parameters say) and output must not overlap them, except that it may be a itself (in place: each element
/// is read before it is written). Large counts are split over `threads`.
public func quantizedBinary(_ parameters: QuantizedBinaryParameters, count: Int, a: UnsafeRawPointer,
                            b: UnsafeRawPointer, bPeriod: Int, output: UnsafeMutableRawPointer, threads: Int = 1,
                            path: QuantizedElementwisePath = .best) {
    precondition(bPeriod > 0 && count % bPeriod == 0, "quantizedBinary: count \(count) is not a multiple of \(bPeriod)")
    guard count > 0 else { return }
    let params = parameters.c
    let kernel = path.kernel
    func run(_ b: UnsafeRawPointer, period: Int) {
        parallelChunks(count, threads: threads, workPerItem: 1) { chunk in
            withUnsafePointer(to: params) { p in
                if period == 1 {
                    kernel(p, chunk.count, a + chunk.lowerBound, b, 0, output + chunk.lowerBound)
                    return
                }
                var i = chunk.lowerBound
                while i < chunk.upperBound {
                    let j = i % period, n = min(period - j, chunk.upperBound - i)
                    kernel(p, n, a + i, b + j, 1, output + i)
                    i += n
                }
            }
        }
    }
    if bPeriod == 1 || bPeriod >= shortPeriod || bPeriod == count {
        run(b, period: bPeriod)
        return
    }
    let repeats = (shortPeriod + bPeriod - 1) / bPeriod
    withUnsafeTemporaryAllocation(byteCount: bPeriod * repeats, alignment: 16) { r in
        for k in 0..<repeats { (r.baseAddress! + k * bPeriod).copyMemory(from: b, byteCount: bPeriod) }
        run(UnsafeRawPointer(r.baseAddress!), period: bPeriod * repeats)
    }
}
