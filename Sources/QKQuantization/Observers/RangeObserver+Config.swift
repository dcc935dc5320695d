extension QuantizationConfig.CalibrationMethod {
    /// A fresh observer for this method. `type`, `symmetric` and `reduceRange` describe the tensor's target
    /// quantization: MSE uses all three; percentile uses `symmetric` to choose the |x| histogram (as ONNX
    /// Runtime); entropy scales its levels to the type, `quantizedBins` · 2^(bits − 8) (at least 1), and doubles
    /// them for one-signed data when not `symmetric`.
    public func makeObserver(type: QuantType, symmetric: Bool, reduceRange: Bool = false) -> any RangeObserver {
        switch self {
        case .minMax: MinMaxObserver()
        case .movingAverage(let constant): MovingAverageMinMaxObserver(averagingConstant: constant)
        case .percentile(let percentile, let bins):
            PercentileObserver(percentile: percentile, bins: bins, symmetric: symmetric)
        case .entropy(let bins, let quantizedBins):
            EntropyObserver(bins: bins, quantizedBins: Self.levels(quantizedBins, bits: type.bits),
                            asymmetricTarget: !symmetric)
        case .mse(let bins): MSEObserver(type: type, symmetric: symmetric, reduceRange: reduceRange, bins: bins)
        }
    }

    /// `levels8` (given for 8-bit types) scaled to `bits`.
    static func levels(_ levels8: Int, bits: Int) -> Int {
        bits >= 8 ? levels8 << Swift.min(bits - 8, 24) : Swift.max(1, levels8 >> (8 - bits))
    }
}
