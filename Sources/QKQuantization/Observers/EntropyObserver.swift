import Foundation

/// TensorRT's KL-divergence ("entropy") calibration over a histogram of |x|.
///
/// The histogram has n bins over [0, T] (T = max |x|). Exact zeros are taken out of bin 0 first: every
/// quantizer with a zero point represents 0 exactly, so they carry no error, and left in (ReLU outputs are ~50 %
/// zeros) they dominate the first level and pull the threshold far inside the data. For each candidate
/// i ∈ L … n (L = `levels`, see below) ``KLThreshold`` compares
/// - p: bins 0 … i−1, with the clipped mass Σ_{k ≥ i} h_k added to bin i−1, and
/// - q: bins 0 … i−1 merged into L levels (⌊i/L⌋ bins each, the last level takes the rest), each level's
///   count spread evenly over its bins where p > 0 (q = 0 where p = 0),
///
/// both normalised, by KL(p‖q) = Σ_{p>0} p log(p/q), and keeps the smallest (the largest i on ties, relative 1e-9). The range is
/// (−edge_i, edge_i) clamped into the observed [min, max].
///
/// L is the number of quantization levels on [0, t]: `quantizedBins` (128 for 8 bits: a symmetric int8 grid
/// puts 128 steps on each side of 0), doubled when `asymmetricTarget` is set and the data has one sign (an
/// asymmetric grid then puts all 256 levels on [0, t]). With L ≥ n there is nothing to choose: the full range.
///
/// ONNX Runtime follows the same idea on a signed histogram with 128 levels over [−t, t] (half int8's
/// resolution, so it clips more) and, by default, only 128 bins that grow with the data, where this histogram
/// has a fixed size and re-bins.
public struct EntropyObserver: RangeObserver, Equatable {
    public let quantizedBins: Int
    public let asymmetricTarget: Bool
    public private(set) var histogram: FixedHistogram

    /// - Parameters:
    ///   - bins: fixed histogram size (default 2048, as TensorRT).
    ///   - quantizedBins: quantization levels on [0, t] for data of both signs (128 for 8-bit types).
    ///   - asymmetricTarget: the tensor is quantized with a zero point chosen from its range (not symmetric).
    public init(bins: Int = 2048, quantizedBins: Int = 128, asymmetricTarget: Bool = false) {
        self.quantizedBins = Swift.max(quantizedBins, 1)
        self.asymmetricTarget = asymmetricTarget
        histogram = FixedHistogram(binCount: bins, domain: .absolute)
    }

    public var nanCount: Int { histogram.nanCount }
    public var infinityCount: Int { histogram.infinityCount }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.add(values) }

    /// Quantization levels on [0, t] for the data seen so far.
    public var levels: Int {
        let oneSign = histogram.minimum >= 0 || histogram.maximum <= 0
        return asymmetricTarget && oneSign ? 2 * quantizedBins : quantizedBins
    }

    public func range() -> (min: Float, max: Float) {
        guard histogram.total > 0 else { return (0, 0) }
        var counts = histogram.counts
        counts[0] = Swift.max(0, counts[0] - Double(histogram.zeroCount))
        let edge = histogram.edges[KLThreshold.bestBinCount(counts, levels: levels)]
        return (Swift.max(-edge, histogram.minimum), Swift.min(edge, histogram.maximum))
    }
}
