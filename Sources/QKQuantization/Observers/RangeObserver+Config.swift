extension QuantizationConfig.CalibrationMethod {
    /// A fresh observer for this method. `type`, `symmetric` and `reduceRange` describe the tensor's target
    /// quantization (used by MSE; percentile uses `symmetric` to choose the |x| histogram, as ONNX Runtime).
    public func makeObserver(type: QuantType, symmetric: Bool, reduceRange: Bool = false) -> any RangeObserver {
        switch self {
        case .minMax: MinMaxObserver()
        case .movingAverage(let constant): MovingAverageMinMaxObserver(averagingConstant: constant)
        case .percentile(let percentile, let bins):
            PercentileObserver(percentile: percentile, bins: bins, symmetric: symmetric)
        case .entropy(let bins, let quantizedBins): EntropyObserver(bins: bins, quantizedBins: quantizedBins)
        case .mse(let bins): MSEObserver(type: type, symmetric: symmetric, reduceRange: reduceRange, bins: bins)
        }
    }
}
