import Foundation

/// Scale(s) and zero point(s) of an affine quantization: real = scale · (q − zeroPoint).
///
/// | granularity | `axis` | `blockSize` | `scales.count`                                   |
/// |-------------|--------|-------------|--------------------------------------------------|
/// | per-tensor  | nil    | nil         | 1                                                |
/// | per-axis    | a      | nil         | shape[a]                                         |
/// | per-block   | a      | B           | shape with shape[a] replaced by ⌈shape[a] / B⌉   |
///
/// Per-block parameters are laid out row-major over that reduced shape (ONNX opset-21 blocked
/// QuantizeLinear), so element (…, i, …) on the axis uses the parameters of block (…, i / B, …).
public struct QuantParameters: Sendable, Equatable, Codable {
    public var type: QuantType
    public var scales: [Float]
    public var zeroPoints: [Int32]
    public var axis: Int?
    public var blockSize: Int?

    /// Per-tensor parameters.
    public init(scale: Float, zeroPoint: Int32, type: QuantType) {
        self.init(type: type, scales: [scale], zeroPoints: [zeroPoint], axis: nil, blockSize: nil)
    }

    /// Per-axis (`blockSize == nil`) or per-block parameters.
    public init(type: QuantType, scales: [Float], zeroPoints: [Int32], axis: Int?, blockSize: Int? = nil) {
        self.type = type
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
        self.blockSize = blockSize
    }

    /// The only scale of per-tensor parameters.
    public var scale: Float? { axis == nil ? scales.first : nil }
    /// The only zero point of per-tensor parameters.
    public var zeroPoint: Int32? { axis == nil ? zeroPoints.first : nil }
}

/// A quantization request that does not fit the data; names the tensor shape and what was expected.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case axisOutOfRange(axis: Int, shape: [Int])
    case parameterCount(expected: Int, actual: Int, shape: [Int])
    case invalidBlockSize(Int)
    case invalidScale(Float)
    case zeroPointOutOfRange(Int32, type: QuantType)
    case dtypeMismatch(expected: String, actual: String)
    case countMismatch(shape: [Int], count: Int)

    public var description: String {
        switch self {
        case .axisOutOfRange(let axis, let shape):
            "quantization axis \(axis) is out of range for shape \(shape)"
        case .parameterCount(let expected, let actual, let shape):
            "quantization parameters: expected \(expected) scales and zero points for shape \(shape), got \(actual)"
        case .invalidBlockSize(let size):
            "quantization block size must be ≥ 1, got \(size)"
        case .invalidScale(let scale):
            "quantization scale must be finite and > 0, got \(scale)"
        case .zeroPointOutOfRange(let zp, let type):
            "zero point \(zp) is outside \(type)'s range \(type.qmin)…\(type.qmax)"
        case .dtypeMismatch(let expected, let actual):
            "quantized data: expected \(expected), got \(actual)"
        case .countMismatch(let shape, let count):
            "quantized data: shape \(shape) does not hold \(count) values"
        }
    }
}

/// Scale and zero point for the real range [min, max], as ONNX Runtime's `compute_scale_zp`.
///
/// 1. Widen to include zero: min ← min(min, 0), max ← max(max, 0) (so 0.0 is exactly representable).
/// 2. Symmetric: min ← −a, max ← a with a = max(|min|, |max|).
/// 3. (qmin, qmax) from ``QuantType/quantRange(symmetric:reduceRange:)`` (int8 symmetric is −127 … 127).
/// 4. scale = (max − min) / (qmax − qmin), computed in Double and rounded once to Float.
/// 5. zero point: symmetric → round_half_even((qmin + qmax) / 2) (0 for signed, 128 uint8, 8 uint4,
///    32768 uint16, 64 reduced uint8); asymmetric → round_half_even(qmin − min / scale) with the Double scale,
///    saturated to [qmin, qmax].
/// 6. A range whose scale is below Float's smallest normal (e.g. all zeros) gives scale 1, zero point 0.
///
/// Non-finite bounds, which observers never produce, are made finite first: NaN → 0, ±∞ → ±Float.greatestFinite.
///
/// Example: min −1, max 3, uint8 → scale 4/255 ≈ 0.0156863, zero point round(63.75) = 64.
public func quantParameters(
    min: Float, max: Float, type: QuantType, symmetric: Bool, reduceRange: Bool = false
) -> (scale: Float, zeroPoint: Int32) {
    let (qmin, qmax) = type.quantRange(symmetric: symmetric, reduceRange: reduceRange)
    var lo = Swift.min(finiteBound(min), 0)
    var hi = Swift.max(finiteBound(max), 0)
    if symmetric {
        let absMax = Swift.max(abs(lo), abs(hi))
        lo = -absMax
        hi = absMax
    }
    let scale = (Double(hi) - Double(lo)) / Double(qmax - qmin)
    guard scale >= Double(Float.leastNormalMagnitude) else { return (1, 0) }
    let zero = symmetric
        ? (Double(qmin + qmax) / 2).rounded(.toNearestOrEven)
        : (Double(qmin) - Double(lo) / scale).rounded(.toNearestOrEven)
    let zeroPoint = Int32(Swift.min(Swift.max(zero, Double(qmin)), Double(qmax)))
    return (Float(scale), zeroPoint)
}

private func finiteBound(_ value: Float) -> Float {
    if value.isNaN { return 0 }
    if value.isInfinite { return value > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude }
    return value
}
