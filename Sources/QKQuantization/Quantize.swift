import QKTensor

/// Rounds half to even, exactly as `Float.rounded(.toNearestOrEven)`, in a form the compiler vectorises on
/// baseline x86-64: for |v| < 2²³, |v| + 2²³ lies where the float spacing is 1, so the addition rounds |v| to an
/// integer (half to even, the FPU's default mode) and subtracting 2²³ is exact; |v| ≥ 2²³ is already an integer.
@inline(__always)
func roundHalfEven(_ v: Float) -> Float {
    let magic: Float = 8_388_608
    let magnitude = abs(v)
    return magnitude < magic ? Float(signOf: v, magnitudeOf: (magnitude + magic) - magic) : v
}

/// One quantized value as a Float: q = saturate(round_half_even(x / scale) + zeroPoint) into [lo, hi].
///
/// | x            | q                 |
/// |--------------|-------------------|
/// | NaN          | zeroPoint (→ 0.0) |
/// | +∞ / −∞      | hi / lo           |
/// | x/scale tie  | even neighbour    |
@inline(__always)
func quantizedValue(_ x: Float, scale: Float, zeroPoint: Float, lo: Float, hi: Float) -> Float {
    let r = roundHalfEven(x / scale) + zeroPoint
    return r.isNaN ? zeroPoint : Swift.min(Swift.max(r, lo), hi)
}

/// The Int32 of an integer-valued float with |r| < 2²², without a trapping conversion (so loops vectorise):
/// r + 1.5 · 2²³ keeps r in the low mantissa bits, and subtracting the bits of 1.5 · 2²³ leaves r.
@inline(__always)
func integerValue(_ r: Float) -> Int32 {
    let magic: Float = 12_582_912
    return Int32(bitPattern: (r + magic).bitPattern) &- Int32(bitPattern: magic.bitPattern)
}

/// Quantizes float values as ONNX QuantizeLinear: q = saturate(round_half_even(x / scale) + zero_point), the
/// division done in float32, then (q − zero_point) fits the type's full range (never the symmetric/reduced one).
/// NaN quantizes to the zero point (dequantizes to 0), +∞/−∞ saturate to qmax/qmin.
///
/// Per-tensor parameters on float32 run a flat vectorisable loop; per-axis/per-block visit runs of contiguous
/// elements (see ``QuantParameters``). float16/bfloat16/float64 inputs are converted to float32 first.
///
/// The result is a tensor of the type's ``QuantType/storageDType`` (int4/uint4 included: one value per element,
/// packed two per byte only when written).
///
/// Example: x = [−1, 0, 0.5, 3], scale 4/255, zero point 64, uint8 → [0, 64, 96, 255].
public func quantize(_ tensor: Tensor, _ parameters: QuantParameters) throws -> Tensor {
    try quantize(floatInput(tensor), shape: tensor.shape, parameters)
}

/// ``quantize(_:_:)`` for row-major float32 values of the given shape.
public func quantize(_ values: [Float], shape: [Int], _ parameters: QuantParameters) throws -> Tensor {
    guard shape.reduce(1, *) == values.count else { throw QuantizationError.countMismatch(shape: shape, count: values.count) }
    let layout = try QuantLayout(shape: shape, parameters: parameters)
    let type = parameters.type
    for (scale, zeroPoint) in zip(parameters.scales, parameters.zeroPoints) {
        guard scale.isFinite, scale > 0 else { throw QuantizationError.invalidScale(scale) }
        guard (type.qmin...type.qmax).contains(zeroPoint) else {
            throw QuantizationError.zeroPointOutOfRange(zeroPoint, type: type)
        }
    }
    // Values are saturated to the type's range, so the 4-bit range check of Tensor(shape:storage:) cannot fail.
    switch type {
    case .int8: return Tensor(shape: shape, values: quantizeValues(values, layout, parameters, as: Int8.self))
    case .uint8: return Tensor(shape: shape, values: quantizeValues(values, layout, parameters, as: UInt8.self))
    case .int16: return Tensor(shape: shape, values: quantizeValues(values, layout, parameters, as: Int16.self))
    case .uint16: return Tensor(shape: shape, values: quantizeValues(values, layout, parameters, as: UInt16.self))
    case .int4: return try Tensor(shape: shape, storage: .int4(quantizeValues(values, layout, parameters, as: Int8.self)))
    case .uint4: return try Tensor(shape: shape, storage: .uint4(quantizeValues(values, layout, parameters, as: UInt8.self)))
    }
}

private func quantizeValues<T: FixedWidthInteger & TensorScalar>(
    _ values: [Float], _ layout: QuantLayout, _ parameters: QuantParameters, as: T.Type
) -> [T] {
    let lo = Float(parameters.type.qmin)
    let hi = Float(parameters.type.qmax)
    return [T](unsafeUninitializedCapacity: values.count) { out, initialized in
        values.withUnsafeBufferPointer { x in
            parameters.scales.withUnsafeBufferPointer { scales in
                parameters.zeroPoints.withUnsafeBufferPointer { zeroPoints in
                    layout.forEachRun { start, count, paramStart, paramStride in
                        if paramStride == 0 {
                            let scale = scales[paramStart]
                            let zero = Float(zeroPoints[paramStart])
                            for k in start..<(start + count) {
                                out[k] = T(truncatingIfNeeded: integerValue(
                                    quantizedValue(x[k], scale: scale, zeroPoint: zero, lo: lo, hi: hi)))
                            }
                        } else {
                            for k in 0..<count {
                                let p = paramStart + k
                                out[start + k] = T(truncatingIfNeeded: integerValue(quantizedValue(
                                    x[start + k], scale: scales[p], zeroPoint: Float(zeroPoints[p]), lo: lo, hi: hi)))
                            }
                        }
                    }
                }
            }
        }
        initialized = values.count
    }
}

/// Dequantizes as ONNX DequantizeLinear: x̂ = (q − zero_point) · scale in float32, same layouts as
/// ``quantize(_:_:)``. The tensor's dtype must be `parameters.type`'s ``QuantType/storageDType``.
public func dequantize(_ quantized: Tensor, _ parameters: QuantParameters) throws -> Tensor {
    let shape = quantized.shape
    let layout = try QuantLayout(shape: shape, parameters: parameters)
    let type = parameters.type
    guard quantized.dtype == type.storageDType else {
        throw QuantizationError.dtypeMismatch(expected: type.rawValue, actual: quantized.dtype.rawValue)
    }
    let q = quantized.int64Values.map { Int32(truncatingIfNeeded: $0) }
    var out = [Float](repeating: 0, count: q.count)
    q.withUnsafeBufferPointer { q in
        out.withUnsafeMutableBufferPointer { out in
            layout.forEachRun { start, count, paramStart, paramStride in
                for k in 0..<count {
                    let p = paramStart + k * paramStride
                    out[start + k] = Float(q[start + k] - parameters.zeroPoints[p]) * parameters.scales[p]
                }
            }
        }
    }
    return Tensor(shape: shape, values: out)
}
