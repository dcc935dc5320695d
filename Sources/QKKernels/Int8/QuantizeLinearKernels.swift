import CQKKernels

/// One instruction-set variant of the QuantizeLinear / DequantizeLinear kernels (qdq_*.c). Every path gives the same
/// bits as the scalar formulas below (tests check each path against a Swift reference):
///
/// | path       | block (elements) | needs              |
/// |------------|------------------|--------------------|
/// | `avx512`   | 64               | AVX-512 F and BW   |
/// | `avx2`     | 32               | AVX2               |
/// | `portable` | 1                | nothing            |
public enum QDQKernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    case avx512
    case avx2
    case portable

    public var description: String { rawValue }

    /// Every path this CPU can run, fastest first.
    public static let available: [QDQKernelPath] = {
        let features = qk_detect_cpu_features()
        var paths: [QDQKernelPath] = []
        if features.avx512f != 0 && features.avx512bw != 0 { paths.append(.avx512) }
        if features.avx2 != 0 { paths.append(.avx2) }
        paths.append(.portable)
        return paths
    }()

    /// The fastest path this CPU can run.
    public static let best: QDQKernelPath = available[0]

    typealias QuantizeRun = @convention(c) (Int, UnsafePointer<Float>?, Float, Int32, Int32, Int32, Int,
                                            UnsafeMutableRawPointer?) -> Void
    typealias QuantizeRow = @convention(c) (Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Int32>?,
                                            Int32, Int32, Int, UnsafeMutableRawPointer?) -> Void
    typealias DequantizeRun = @convention(c) (Int, UnsafeRawPointer?, qk_qdq_type, Float, Int32,
                                              UnsafeMutablePointer<Float>?) -> Void
    typealias DequantizeRow = @convention(c) (Int, UnsafeRawPointer?, qk_qdq_type, UnsafePointer<Float>?,
                                              UnsafePointer<Int32>?, UnsafeMutablePointer<Float>?) -> Void

    var quantizeRun: QuantizeRun {
        switch self {
        case .avx512: qk_quantize_run_avx512
        case .avx2: qk_quantize_run_avx2
        case .portable: qk_quantize_run_generic
        }
    }

    var quantizeRow: QuantizeRow {
        switch self {
        case .avx512: qk_quantize_row_avx512
        case .avx2: qk_quantize_row_avx2
        case .portable: qk_quantize_row_generic
        }
    }

    var dequantizeRun: DequantizeRun {
        switch self {
        case .avx512: qk_dequantize_run_avx512
        case .avx2: qk_dequantize_run_avx2
        case .portable: qk_dequantize_run_generic
        }
    }

    var dequantizeRow: DequantizeRow {
        switch self {
        case .avx512: qk_dequantize_row_avx512
        case .avx2: qk_dequantize_row_avx2
        case .portable: qk_dequantize_row_generic
        }
    }
}

/// The integer element type of a quantized tensor: what ``quantizeLinear(_:scale:zeroPoint:as:into:threads:path:)``
/// writes (all but `int32`) and what ``dequantizeLinear(_:count:type:scale:zeroPoint:into:threads:path:)`` reads.
public enum QDQIntegerType: Sendable, CaseIterable {
    case uint8, int8, uint16, int16, int32

    /// The values the type holds.
    public var range: ClosedRange<Int32> {
        switch self {
        case .uint8: 0...255
        case .int8: -128...127
        case .uint16: 0...65535
        case .int16: -32768...32767
        case .int32: Int32.min...Int32.max
        }
    }

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .int32: 4
        }
    }

    var cType: qk_qdq_type {
        switch self {
        case .uint8: qk_qdq_u8
        case .int8: qk_qdq_s8
        case .uint16: qk_qdq_u16
        case .int16: qk_qdq_s16
        case .int32: qk_qdq_s32
        }
    }
}

/// Per-tensor QuantizeLinear of fp32 values into `type` (not int32), written to `y` (x.count elements):
///
///     y[i] = clamp(round_half_to_even(x[i] / scale) + zeroPoint, type.range),   y[i] = zeroPoint where x[i] / scale is NaN
///
/// with the fp32 quotient (a true division, as ONNX's reference computes it; ±inf saturate). `zeroPoint` must lie in
/// `type.range`. Example: scale 0.5, zeroPoint 3, uint8: x = 1.25 → round(2.5) = 2 → 5; x = −70 → −137 → 0.
public func quantizeLinear(_ x: UnsafeBufferPointer<Float>, scale: Float, zeroPoint: Int32, as type: QDQIntegerType,
                           into y: UnsafeMutableRawPointer, threads: Int = 1, path: QDQKernelPath = .best) {
    precondition(type != .int32 && type.range.contains(zeroPoint), "quantizeLinear: zero point \(zeroPoint) for \(type)")
    guard let base = x.baseAddress else { return }
    let run = path.quantizeRun, width = type.byteWidth, range = type.range
    forEachSpan(x.count, threads: threads, workPerElement: quantizeWork) { start, count in
        run(count, base + start, scale, zeroPoint, range.lowerBound, range.upperBound, width, y + start * width)
    }
}

/// Per-axis QuantizeLinear: x is viewed as outer × C × inner with C = scales.count, and element (o, c, i) uses
/// scales[c] and zeroPoints[c] (zeroPoints holds C values or one for all) in the formula of the per-tensor
/// ``quantizeLinear(_:scale:zeroPoint:as:into:threads:path:)``.
public func quantizeLinear(_ x: UnsafeBufferPointer<Float>, scales: [Float], zeroPoints: [Int32], inner: Int,
                           as type: QDQIntegerType, into y: UnsafeMutableRawPointer, threads: Int = 1,
                           path: QDQKernelPath = .best) {
    precondition(type != .int32 && zeroPoints.allSatisfy(type.range.contains), "quantizeLinear: zero points for \(type)")
    guard let base = x.baseAddress else { return }
    let width = type.byteWidth, range = type.range
    let (run, row) = (path.quantizeRun, path.quantizeRow)
    forEachChannelSpan(x.count, scales: scales, zeroPoints: zeroPoints, inner: inner, threads: threads,
                       workPerElement: quantizeWork) { start, count, parameters in
        switch parameters {
        case .uniform(let s, let z):
            run(count, base + start, s, z, range.lowerBound, range.upperBound, width, y + start * width)
        case .perElement(let s, let z):
            row(count, base + start, s, z, range.lowerBound, range.upperBound, width, y + start * width)
        }
    }
}

/// Per-tensor DequantizeLinear of `count` integers of `type` at `x` into fp32 `y`:
///
///     y[i] = Float(x[i] − zeroPoint) · scale   (int32 arithmetic, then one fp32 product)
///
/// x[i] − zeroPoint must not overflow int32 (for int32 x, use zero point 0). Example: uint8 [0, 128, 255], zero point
/// 128, scale 0.5 → [−64, 0, 63.5].
public func dequantizeLinear(_ x: UnsafeRawPointer, count: Int, type: QDQIntegerType, scale: Float, zeroPoint: Int32,
                             into y: UnsafeMutablePointer<Float>, threads: Int = 1, path: QDQKernelPath = .best) {
    let run = path.dequantizeRun, width = type.byteWidth, cType = type.cType
    forEachSpan(count, threads: threads, workPerElement: dequantizeWork) { start, n in
        run(n, x + start * width, cType, scale, zeroPoint, y + start)
    }
}

/// Per-axis DequantizeLinear: x is viewed as outer × C × inner with C = scales.count, and element (o, c, i) uses
/// scales[c] and zeroPoints[c] (C values or one for all) in the formula of the per-tensor
/// ``dequantizeLinear(_:count:type:scale:zeroPoint:into:threads:path:)``.
public func dequantizeLinear(_ x: UnsafeRawPointer, count: Int, type: QDQIntegerType, scales: [Float],
                             zeroPoints: [Int32], inner: Int, into y: UnsafeMutablePointer<Float>, threads: Int = 1,
                             path: QDQKernelPath = .best) {
    let width = type.byteWidth, cType = type.cType
    let (run, row) = (path.dequantizeRun, path.dequantizeRow)
    forEachChannelSpan(count, scales: scales, zeroPoints: zeroPoints, inner: inner, threads: threads,
                       workPerElement: dequantizeWork) { start, n, parameters in
        switch parameters {
        case .uniform(let s, let z): run(n, x + start * width, cType, s, z, y + start)
        case .perElement(let s, let z): row(n, x + start * width, cType, s, z, y + start)
        }
    }
}

/// min and max of `x` (nil when x is empty or holds a NaN or ±inf): the range scan of DynamicQuantizeLinear.
public func finiteMinMax(_ x: UnsafeBufferPointer<Float>) -> (min: Float, max: Float)? {
    guard let base = x.baseAddress, !x.isEmpty else { return nil }
    var lo: Float = 0, hi: Float = 0
    guard qk_finite_min_max_f32(x.count, base, &lo, &hi) != 0 else { return nil }
    return (lo, hi)
}
