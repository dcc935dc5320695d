import QKTensor

/// Integer ranges of the dtypes a quantized tensor can have in this runtime (float8 has no ``DType`` and is
/// not supported).
let quantizedRanges: [DType: ClosedRange<Int32>] = [
    .int8: -128...127, .uint8: 0...255, .int16: -32768...32767, .uint16: 0...65535, .int4: -8...7, .uint4: 0...15,
]

/// ONNX TensorProto element-type numbers of `output_dtype` (QuantizeLinear) this runtime produces.
let quantizedOutputDTypes: [Int: DType] = [2: .uint8, 3: .int8, 4: .uint16, 5: .int16, 21: .uint4, 22: .int4]

/// ONNX TensorProto element-type numbers of `output_dtype` (DequantizeLinear) this runtime produces.
let dequantizedOutputDTypes: [Int: DType] = [1: .float32, 10: .float16, 16: .bfloat16]

/// The values of an integer tensor widened to Int32 (nil for float, bool and int64 tensors).
func int32Values(_ tensor: Tensor) -> [Int32]? {
    switch tensor.storage {
    case .int8(let v): v.map(Int32.init)
    case .uint8(let v): v.map(Int32.init)
    case .int16(let v): v.map(Int32.init)
    case .uint16(let v): v.map(Int32.init)
    case .int32(let v): v
    case .int4(let v): v.map(Int32.init)
    case .uint4(let v): v.map(Int32.init)
    default: nil
    }
}

/// q = clamp(round_half_to_even(v / scale) + zeroPoint, range); NaN maps to the zero point.
@inline(__always)
func quantizeValue(_ v: Float, scale: Float, zeroPoint: Int32, range: ClosedRange<Int32>) -> Int32 {
    let r = (v / scale).rounded(.toNearestOrEven)
    guard !r.isNaN else { return min(max(zeroPoint, range.lowerBound), range.upperBound) }
    let q = Double(r) + Double(zeroPoint)
    return Int32(min(max(q, Double(range.lowerBound)), Double(range.upperBound)))
}

/// q = clamp(round_half_to_even(acc · multiplier) + zeroPoint, range), the float requantization ONNX's
/// reference and ONNX Runtime's reference paths use (the multiplier is a Float, the product a Double).
@inline(__always)
func requantizeValue(_ acc: Int32, multiplier: Float, zeroPoint: Int32, range: ClosedRange<Int32>) -> Int32 {
    let r = (Double(acc) * Double(multiplier)).rounded(.toNearestOrEven) + Double(zeroPoint)
    guard !r.isNaN else { return zeroPoint }
    return Int32(min(max(r, Double(range.lowerBound)), Double(range.upperBound)))
}

/// A tensor of quantized `dtype` from values already clamped to its range.
func quantizedTensor(_ values: [Int32], shape: [Int], dtype: DType) -> Tensor {
    Tensor(shape: shape, values: values).converted(to: dtype)
}

extension KernelContext {
    /// Scale input `index` (called `name` in messages): floating-point, every value finite and > 0.
    func scaleInput(_ index: Int, _ name: String) throws -> (tensor: Tensor, values: [Float]) {
        let tensor = try input(index)
        guard tensor.dtype.isFloatingPoint else { throw invalid("\(name) must be a floating-point tensor, got \(tensor.dtype)") }
        let values = tensor.floatValues
        guard !values.isEmpty else { throw invalid("\(name) must not be empty") }
        if let bad = values.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw invalid("\(name) must be positive and finite, got \(values[bad])" + (values.count > 1 ? " at index \(bad)" : ""))
        }
        return (tensor, values)
    }

    /// Optional zero-point input `index`: its dtype must be `dtype` (when given) and one of the quantized
    /// dtypes; omitted means 0.
    func zeroPointInput(_ index: Int, _ name: String, matching dtype: DType?) throws -> (tensor: Tensor?, values: [Int32]) {
        guard let tensor = optionalInput(index) else { return (nil, [0]) }
        if let dtype, tensor.dtype != dtype {
            throw invalid("\(name) must be \(dtype) like the data it describes, got \(tensor.dtype)")
        }
        guard quantizedRanges[tensor.dtype] != nil || tensor.dtype == .int32, let values = int32Values(tensor) else {
            throw invalid("\(name) must be int8, uint8, int16, uint16, int4 or uint4, got \(tensor.dtype)")
        }
        guard !values.isEmpty else { throw invalid("\(name) must not be empty") }
        return (tensor, values)
    }

    /// Input `index` (called `name`) as Int32 values; its dtype must be one of `allowed`.
    func quantizedInput(_ index: Int, _ name: String, allowed: [DType]) throws -> (tensor: Tensor, values: [Int32]) {
        let tensor = try input(index)
        guard allowed.contains(tensor.dtype), let values = int32Values(tensor) else {
            throw invalid("\(name) must be \(allowed.map(\.rawValue).joined(separator: " or ")), got \(tensor.dtype)")
        }
        return (tensor, values)
    }

    /// A scalar (one-value) scale and zero point: checks the count.
    func perTensor(_ values: [Float], _ zeroPoints: [Int32], _ name: String) throws -> (scale: Float, zeroPoint: Int32) {
        guard values.count == 1 else { throw invalid("\(name)_scale must hold one value, got \(values.count)") }
        guard zeroPoints.count == 1 else { throw invalid("\(name)_zero_point must hold one value, got \(zeroPoints.count)") }
        return (values[0], zeroPoints[0])
    }
}

/// Which scale / zero-point element applies to each element of the data tensor:
///
/// | layout     | parameter shape                                  | element (…, a, …) uses |
/// |------------|--------------------------------------------------|------------------------|
/// | per-tensor | scalar or [1]                                    | 0                      |
/// | per-axis   | [D] with D = x.shape[axis]                       | a                      |
/// | blocked    | x's shape with axis dimension ⌈D / block_size⌉   | (…, a / block_size, …) |
struct QuantParameterLayout {
    private let inner: Int
    private let axisSize: Int
    private let blockSize: Int
    private let blockCount: Int
    private let kind: Kind
    private enum Kind { case perTensor, perAxis, blocked }

    /// Validates `parameterShape` (of input `name`) against `dataShape`.
    init(_ ctx: KernelContext, dataShape: [Int], parameterShape: [Int], name: String, axis: Int, blockSize: Int) throws {
        let rank = dataShape.count
        let count = parameterShape.reduce(1, *)
        let isScalar = parameterShape.isEmpty || (parameterShape == [1] && blockSize == 0)
        guard !isScalar else {
            (inner, axisSize, self.blockSize, blockCount, kind) = (1, 1, 1, 1, .perTensor)
            return
        }
        guard rank > 0, (-rank..<rank).contains(axis) else {
            throw ctx.invalid("axis \(axis) is out of range for data of rank \(rank)")
        }
        let a = axis < 0 ? axis + rank : axis
        inner = dataShape[(a + 1)...].reduce(1, *)
        axisSize = dataShape[a]
        if blockSize > 0 {
            let blocks = (axisSize + blockSize - 1) / blockSize
            var expected = dataShape
            expected[a] = blocks
            guard parameterShape == expected else {
                throw ctx.invalid("\(name) has shape \(parameterShape), expected \(expected) (blocks of \(blockSize) along axis \(a))")
            }
            (self.blockSize, blockCount, kind) = (blockSize, blocks, .blocked)
        } else {
            guard blockSize == 0 else { throw ctx.invalid("block_size must be >= 0, got \(blockSize)") }
            guard parameterShape.count == 1, count == axisSize else {
                throw ctx.invalid("\(name) has \(count) values (shape \(parameterShape)), expected \(axisSize) (one per slice of axis \(a))")
            }
            (self.blockSize, blockCount, kind) = (1, axisSize, .perAxis)
        }
    }

    /// The parameter index of flat data element `i`.
    @inline(__always)
    func index(_ i: Int) -> Int {
        switch kind {
        case .perTensor: return 0
        case .perAxis: return (i / inner) % axisSize
        case .blocked:
            let outer = i / (inner * axisSize), a = (i / inner) % axisSize
            return (outer * blockCount + a / blockSize) * inner + i % inner
        }
    }
}
