import Foundation

/// TensorRT's KL-divergence calibration, following ONNX Runtime's `HistogramCollector.get_entropy_threshold`.
///
/// Over a signed histogram of n bins with zero bin z = n/2, for each i in h … z (h = quantizedBins/2) the
/// candidate keeps bins [z − i, min(z + i + 1, n)):
/// 1. p = those bins, with all counts left/right of them added to the first/last bin;
/// 2. q = the kept bins (without the outliers) merged into `quantizedBins` groups of ⌊size/quantizedBins⌋ bins
///    (the remainder joins the last group), each group's sum spread back as ⌊sum / nonzero(p in group)⌋ over every
///    bin of the group (ORT's integer division; bins after the last full group stay 0);
/// 3. both smoothed (zeros → ε = 1e-4, nonzeros − ε·zeros/nonzeros) and KL(p‖q) = Σ p log(p/q) of the
///    normalised vectors;
/// and returns the edges of the candidate with the smallest KL (first on ties), clamped into [min, max].
///
/// Bins holding less than half an observation count as empty (re-binning makes counts fractional; whole counts
/// behave as in ORT). ORT's default of 128 bins only works with its growing histogram; with a fixed histogram
/// use ≥ 1024 bins (default 2048, as TensorRT).
public struct EntropyObserver: RangeObserver, Equatable {
    public let quantizedBins: Int
    public private(set) var histogram: FixedHistogram

    public init(bins: Int = 2048, quantizedBins: Int = 128) {
        self.quantizedBins = Swift.max(quantizedBins, 1)
        histogram = FixedHistogram(binCount: bins, domain: .signed)
    }

    public var nanCount: Int { histogram.nanCount }
    public var infinityCount: Int { histogram.infinityCount }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.add(values) }

    public func range() -> (min: Float, max: Float) {
        guard histogram.total > 0 else { return (0, 0) }
        let hist = histogram.counts
        let n = hist.count
        let zero = n / 2
        let half = quantizedBins / 2
        guard half <= zero else { return (histogram.minimum, histogram.maximum) }
        var prefix = [0.0]
        prefix.reserveCapacity(n + 1)
        for c in hist { prefix.append(prefix[prefix.count - 1] + c) }
        var best = (divergence: Double.infinity, start: zero - half, end: Swift.min(zero + half + 1, n))
        for i in half...zero {
            let start = zero - i
            let end = Swift.min(zero + i + 1, n)
            let kl = divergence(hist, start: start, end: end, prefix: prefix)
            if kl < best.divergence { best = (kl, start, end) }
        }
        let low = histogram.edges[best.start]
        let high = histogram.edges[best.end]
        return (Swift.max(low, histogram.minimum), Swift.min(high, histogram.maximum))
    }

    private func divergence(_ hist: [Double], start: Int, end: Int, prefix: [Double]) -> Double {
        let size = end - start
        var p = Array(hist[start..<end])
        p[0] += prefix[start]
        p[size - 1] += prefix[hist.count] - prefix[end]
        let merged = size / quantizedBins
        guard merged > 0 else { return .infinity }   // cannot happen: size ≥ 2·half + 1 ≥ quantizedBins
        var q = [Double](repeating: 0, count: size)
        for group in 0..<quantizedBins {
            let lo = group * merged
            let hi = lo + merged
            var sum = prefix[start + hi] - prefix[start + lo]
            if group == quantizedBins - 1 { sum += prefix[end] - prefix[start + quantizedBins * merged] }
            let nonzero = p[lo..<hi].reduce(0) { $0 + (isEmpty($1) ? 0 : 1) }
            guard nonzero > 0 else { continue }
            let spread = (sum / Double(nonzero)).rounded(.down)
            for k in lo..<hi { q[k] = spread }
        }
        guard let ps = smoothed(p), let qs = smoothed(q) else { return .infinity }
        let pTotal = ps.reduce(0, +), qTotal = qs.reduce(0, +)
        var kl = 0.0
        for k in 0..<size {
            let pk = ps[k] / pTotal, qk = qs[k] / qTotal
            kl += pk * log(pk / qk)
        }
        return kl
    }

    private func isEmpty(_ count: Double) -> Bool { count < 0.5 }

    /// ORT's `smooth_distribution` with ε = 1e-4; nil when every entry is empty.
    private func smoothed(_ values: [Double]) -> [Double]? {
        let eps = 1e-4
        let zeros = values.reduce(0) { $0 + (isEmpty($1) ? 1 : 0) }
        let nonzeros = values.count - zeros
        guard nonzeros > 0 else { return nil }
        let eps1 = eps * Double(zeros) / Double(nonzeros)
        return values.map { isEmpty($0) ? $0 + eps : $0 - eps1 }
    }
}
