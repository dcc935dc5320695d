import QKTensor

extension QuantParameters {
    /// Parameters fitted to the data's own range, per tensor, per axis or per block, each group through
    /// ``quantParameters(min:max:type:symmetric:reduceRange:)``. NaN values are skipped (ORT would produce a NaN
    /// scale); a group of only NaNs counts as the range [0, 0] (scale 1, zero point 0); ±∞ become
    /// ±Float.greatestFiniteMagnitude there.
    ///
    /// - Parameters:
    ///   - axis: nil for per-tensor; negative counts from the end.
    ///   - blockSize: with an axis, groups of this many consecutive elements along it (last group may be short).
    public static func fitting(
        _ values: [Float], shape: [Int], type: QuantType, symmetric: Bool, reduceRange: Bool = false,
        axis: Int? = nil, blockSize: Int? = nil
    ) throws -> QuantParameters {
        guard shape.reduce(1, *) == values.count else {
            throw QuantizationError.countMismatch(shape: shape, count: values.count)
        }
        var probe = QuantParameters(type: type, scales: [1], zeroPoints: [0], axis: axis, blockSize: blockSize)
        if axis != nil {
            // Size the parameter arrays first, then validate the whole layout with them.
            let sizing = try QuantLayout.count(shape: shape, axis: axis, blockSize: blockSize)
            probe.scales = Array(repeating: 1, count: sizing)
            probe.zeroPoints = Array(repeating: 0, count: sizing)
        }
        let layout = try QuantLayout(shape: shape, parameters: probe)
        var lows = Array(repeating: Float.infinity, count: layout.parameterCount)
        var highs = Array(repeating: -Float.infinity, count: layout.parameterCount)
        values.withUnsafeBufferPointer { x in
            layout.forEachRun { start, count, paramStart, paramStride in
                for k in 0..<count {
                    let v = x[start + k]
                    guard !v.isNaN else { continue }
                    let p = paramStart + k * paramStride
                    lows[p] = Swift.min(lows[p], v)
                    highs[p] = Swift.max(highs[p], v)
                }
            }
        }
        for p in lows.indices {
            let empty = lows[p] > highs[p]
            let fitted = quantParameters(min: empty ? 0 : lows[p], max: empty ? 0 : highs[p], type: type,
                                         symmetric: symmetric, reduceRange: reduceRange)
            probe.scales[p] = fitted.scale
            probe.zeroPoints[p] = fitted.zeroPoint
        }
        return probe
    }

    /// ``fitting(_:shape:type:symmetric:reduceRange:axis:blockSize:)`` for a floating-point tensor
    /// (float16/bfloat16/float64 are converted to float32 first).
    public static func fitting(
        _ tensor: Tensor, type: QuantType, symmetric: Bool, reduceRange: Bool = false, axis: Int? = nil,
        blockSize: Int? = nil
    ) throws -> QuantParameters {
        try fitting(floatInput(tensor), shape: tensor.shape, type: type, symmetric: symmetric,
                    reduceRange: reduceRange, axis: axis, blockSize: blockSize)
    }
}

extension QuantLayout {
    /// Number of parameters for `shape` quantized along `axis` with an optional block size.
    static func count(shape: [Int], axis: Int?, blockSize: Int?) throws -> Int {
        guard let rawAxis = axis else { return 1 }
        let a = rawAxis < 0 ? rawAxis + shape.count : rawAxis
        guard shape.indices.contains(a) else { throw QuantizationError.axisOutOfRange(axis: rawAxis, shape: shape) }
        guard let size = blockSize else { return shape[a] }
        guard size >= 1 else { throw QuantizationError.invalidBlockSize(size) }
        var reduced = shape
        reduced[a] = (shape[a] + size - 1) / size
        return reduced.reduce(1, *)
    }
}

/// The float32 values of a floating-point tensor; throws for integer tensors.
func floatInput(_ tensor: Tensor) throws -> [Float] {
    guard tensor.dtype.isFloatingPoint else {
        throw QuantizationError.dtypeMismatch(expected: "a floating-point tensor", actual: tensor.dtype.rawValue)
    }
    return tensor.floatValues
}
