import QKTensor

extension QuantParameters {
    /// Parameters fitted like ``fitting(_:shape:type:symmetric:reduceRange:axis:blockSize:)`` but with each
    /// group's range (per tensor, channel or block) clipped to minimize the squared quantization error:
    ///
    ///     α* = argmin over α ∈ {1, 1 − 1/steps, …, minimumFraction} of Σ_i (x_i − dq(q(x_i; α·[lo, hi])))²
    ///
    /// where [lo, hi] is the group's min/max range (widened to include 0, symmetric when asked) and q/dq
    /// quantize with round half to even and saturate as QuantizeLinear/DequantizeLinear. α = 1 (plain min/max)
    /// is always a candidate and wins ties, so the error never exceeds min/max fitting's. Low-bit weights
    /// (int4) gain the most: clipping a few outliers gives the bulk of the values finer steps.
    public static func fittingMinimizingError(
        _ values: [Float], shape: [Int], type: QuantType, symmetric: Bool, reduceRange: Bool = false,
        axis: Int? = nil, blockSize: Int? = nil, steps: Int = 100, minimumFraction: Float = 0.2
    ) throws -> QuantParameters {
        var fitted = try fitting(values, shape: shape, type: type, symmetric: symmetric, reduceRange: reduceRange,
                                 axis: axis, blockSize: blockSize)
        let layout = try QuantLayout(shape: shape, parameters: fitted)
        var groups = Array(repeating: [Float](), count: layout.parameterCount)
        layout.forEachRun { start, count, paramStart, paramStride in
            for k in 0..<count where !values[start + k].isNaN {
                groups[paramStart + k * paramStride].append(values[start + k])
            }
        }
        let (qmin, qmax) = type.quantRange(symmetric: symmetric, reduceRange: reduceRange)
        for (p, group) in groups.enumerated() where !group.isEmpty {
            let low = group.min()!, high = group.max()!
            var best = (error: Double.infinity, scale: fitted.scales[p], zero: fitted.zeroPoints[p])
            for step in 0...Swift.max(steps, 1) {
                let alpha = 1 - Float(step) / Float(Swift.max(steps, 1))
                guard step == 0 || alpha >= minimumFraction else { break }
                let (scale, zero) = quantParameters(min: alpha * low, max: alpha * high, type: type,
                                                    symmetric: symmetric, reduceRange: reduceRange)
                let error = squaredError(group, scale: scale, zero: zero, qmin: qmin, qmax: qmax)
                if error < best.error { best = (error, scale, zero) }
            }
            fitted.scales[p] = best.scale
            fitted.zeroPoints[p] = best.zero
        }
        return fitted
    }

    /// ``fittingMinimizingError(_:shape:type:symmetric:reduceRange:axis:blockSize:steps:minimumFraction:)`` for a
    /// floating-point tensor.
    public static func fittingMinimizingError(
        _ tensor: Tensor, type: QuantType, symmetric: Bool, reduceRange: Bool = false, axis: Int? = nil,
        blockSize: Int? = nil
    ) throws -> QuantParameters {
        try fittingMinimizingError(floatInput(tensor), shape: tensor.shape, type: type, symmetric: symmetric,
                                   reduceRange: reduceRange, axis: axis, blockSize: blockSize)
    }

    /// Σ (x − (clamp(round_half_even(x / s) + z, qmin, qmax) − z) · s)² in Double.
    static func squaredError(_ group: [Float], scale: Float, zero: Int32, qmin: Int32, qmax: Int32) -> Double {
        let (z, low, high) = (Float(zero), Float(qmin), Float(qmax))
        var total = 0.0
        for x in group {
            let q = Swift.min(Swift.max((x / scale).rounded(.toNearestOrEven) + z, low), high)
            let d = Double(x) - Double((q - z) * scale)
            total += d * d
        }
        return total
    }
}
