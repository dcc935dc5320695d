/// Clips at a percentile of the histogram, as ONNX Runtime's `HistogramCollector.compute_percentile`.
///
/// | symmetric | histogram      | range                                                                 |
/// |-----------|----------------|-----------------------------------------------------------------------|
/// | true      | of |x|, [0, T] | (−e, e), e = edge[first i with cdf[i] ≥ p/100]                         |
/// | false     | of x, [−T, T]  | (edge[first i with cdf[i] ≥ c], edge[first i with cdf[i] ≥ 1 − c]), c = (100 − p)/200 |
///
/// cdf is the running sum of count/total and edge[i] is the *lower* edge of bin i (ORT's choice). The range is
/// then clamped into the observed [min, max]. ORT's defaults: p = 99.999, 2048 bins, symmetric.
/// ORT builds the |x| histogram from min |x| rather than 0 and appends bins as the range grows, so results
/// agree within about a bin width, not exactly.
public struct PercentileObserver: RangeObserver, Equatable {
    public let percentile: Double
    public let symmetric: Bool
    public private(set) var histogram: FixedHistogram

    /// - Parameters:
    ///   - percentile: in (0, 100] (clamped).
    ///   - bins: fixed histogram size.
    public init(percentile: Double = 99.999, bins: Int = 2048, symmetric: Bool = true) {
        self.percentile = Swift.min(Swift.max(percentile, 0), 100)
        self.symmetric = symmetric
        histogram = FixedHistogram(binCount: bins, domain: symmetric ? .absolute : .signed)
    }

    public var nanCount: Int { histogram.nanCount }
    public var infinityCount: Int { histogram.infinityCount }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.add(values) }

    public func range() -> (min: Float, max: Float) {
        guard histogram.total > 0 else { return (0, 0) }
        let cdf = cumulativeFractions(histogram.counts)
        let low: Float, high: Float
        if symmetric {
            let edge = histogram.edges[firstIndex(in: cdf, reaching: percentile / 100)]
            (low, high) = (-edge, edge)
        } else {
            let cut = (100 - percentile) / 200
            low = histogram.edges[firstIndex(in: cdf, reaching: cut)]
            high = histogram.edges[firstIndex(in: cdf, reaching: 1 - cut)]
        }
        return (Swift.max(low, histogram.minimum), Swift.min(high, histogram.maximum))
    }
}

/// Running sum of count / total (NumPy `cumsum(hist / total)`).
func cumulativeFractions(_ counts: [Double]) -> [Double] {
    let total = counts.reduce(0, +)
    var running = 0.0
    return counts.map { c in
        running += c / total
        return running
    }
}

/// NumPy `searchsorted(cdf, value)` (side left): the first index whose entry is ≥ value, or cdf.count.
func firstIndex(in cdf: [Double], reaching value: Double) -> Int {
    var lo = 0, hi = cdf.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if cdf[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
