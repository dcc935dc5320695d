/// A histogram with a fixed number of bins over [−T, T] (`.signed`, of x) or [0, T] (`.absolute`, of |x|).
///
/// Bin edges are NumPy's `linspace` in float32 (edge i = i · ((hi − lo) / n) + lo, last edge = hi) and a value
/// falls in bin i when edge[i] ≤ v < edge[i+1] (the last bin is closed), so a single batch gives exactly
/// `numpy.histogram(x, n, range=(−T, T))` with T = max |x|. When a later batch exceeds T, T grows by a whole
/// factor k = ⌈max |x| / T⌉ (so max |x| ≤ T < 2 max |x|) and every new bin is the union of k old ones (exact for
/// `.absolute` and for an even signed bin count, where 0 stays an edge; otherwise each old bin goes to the new
/// bin holding its centre). Counts stay whole numbers and memory never grows; ONNX Runtime instead appends bins.
public struct FixedHistogram: Sendable, Equatable {
    public enum Domain: Sendable, Equatable { case signed, absolute }

    public let binCount: Int
    public let domain: Domain
    /// Observations per bin (whole numbers, stored as Double).
    public private(set) var counts: [Double]
    /// binCount + 1 float32 edges.
    public private(set) var edges: [Float]
    /// T: the largest finite |x| seen.
    public private(set) var threshold: Float = 0
    /// Smallest and largest finite x seen (+∞/−∞ before any).
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity
    public private(set) var nanCount = 0
    public private(set) var infinityCount = 0
    /// Number of finite values added.
    public private(set) var total = 0
    /// Number of values exactly ±0 among them. With `.absolute` they always lie in bin 0 (re-binning maps the old
    /// bin [0, w) inside the new bin [0, w′), w′ ≥ w), so ``EntropyObserver`` can take them out of it.
    public private(set) var zeroCount = 0

    /// - Parameter binCount: at least 1 (smaller values are raised to 1).
    public init(binCount: Int, domain: Domain) {
        self.binCount = Swift.max(binCount, 1)
        self.domain = domain
        counts = Array(repeating: 0, count: self.binCount)
        edges = Array(repeating: 0, count: self.binCount + 1)
    }

    /// Adds the finite values of one batch (NaN and ±∞ are only counted).
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        let batch = BatchStatistics(values)
        nanCount += batch.nanCount
        infinityCount += batch.infinityCount
        guard batch.hasFinite else { return }
        minimum = Swift.min(minimum, batch.min)
        maximum = Swift.max(maximum, batch.max)
        if total == 0 {
            threshold = batch.absMax
            edges = Self.edges(count: binCount, lower: lowerEdge(for: threshold), upper: threshold)
        } else if batch.absMax > threshold {
            rebin(to: batch.absMax)
        }
        let lower = lowerEdge(for: threshold)
        let span = threshold - lower
        var counts: [Double] = []
        swap(&counts, &self.counts)   // `bin(of:)` reads self while the counts are being written
        let allFinite = batch.nanCount == 0 && batch.infinityCount == 0
        let absolute = domain == .absolute
        var zeros = 0
        counts.withUnsafeMutableBufferPointer { counts in
            edges.withUnsafeBufferPointer { edges in
                for raw in values where allFinite || raw.isFinite {
                    let v = absolute ? abs(raw) : raw
                    zeros += v == 0 ? 1 : 0
                    counts[bin(of: v, lower: lower, span: span, edges: edges)] += 1
                }
            }
        }
        self.counts = counts
        zeroCount += zeros
        total += values.count - batch.nanCount - batch.infinityCount
    }

    private func lowerEdge(for threshold: Float) -> Float { domain == .signed ? -threshold : 0 }

    /// NumPy float32 linspace(lower, upper, count + 1).
    static func edges(count: Int, lower: Float, upper: Float) -> [Float] {
        let step = (upper - lower) / Float(count)
        var edges = (0...count).map { Float($0) * step + lower }
        edges[count] = upper
        return edges
    }

    /// The bin of v ∈ [lower, lower + span]: NumPy's guess from the float32 position, corrected by the edges.
    /// A zero span (all values 0) puts everything in the bin that holds 0 (the middle one when signed).
    @inline(__always)
    private func bin(of v: Float, lower: Float, span: Float, edges: UnsafeBufferPointer<Float>) -> Int {
        let count = binCount
        guard span > 0 else { return domain == .signed ? count / 2 : 0 }
        let guess = ((v - lower) / span) * Float(count)
        var i = Int(Swift.min(Swift.max(guess, 0), Float(count - 1)))   // v is finite and within the span
        if v < edges[i] {
            i -= 1
        } else if i < count - 1, v >= edges[i + 1] {
            i += 1
        }
        return Swift.min(Swift.max(i, 0), count - 1)
    }

    /// Merges the counts onto the edges for threshold k · T, the smallest whole multiple of T reaching
    /// `required` (> T): new bin j of `.absolute` holds old bins jk ..< jk + k; signed bins merge the same way
    /// outwards from 0. From T = 0 (only zeros so far) the zeros move to the bin of 0.
    private mutating func rebin(to required: Float) {
        let factor = threshold > 0 ? (required / threshold).rounded(.up) : 1
        let newThreshold = threshold > 0 ? Swift.max(factor * threshold, required) : required
        let newLower = lowerEdge(for: newThreshold)
        let newEdges = Self.edges(count: binCount, lower: newLower, upper: newThreshold)
        var newCounts = [Double](repeating: 0, count: binCount)
        let whole = Int(exactly: factor).map { $0 >= 1 } ?? false
        let aligned = threshold > 0 && whole && (domain == .absolute || binCount % 2 == 0)
        newEdges.withUnsafeBufferPointer { e in
            for j in 0..<binCount where counts[j] > 0 {
                let target: Int
                if aligned {
                    let k = Int(factor)
                    let centre = domain == .absolute ? 0 : binCount / 2
                    let offset = j - centre
                    target = centre + (offset >= 0 ? offset / k : -((-offset + k - 1) / k))
                } else {
                    let middle = threshold > 0 ? (edges[j] + edges[j + 1]) / 2 : 0
                    target = bin(of: middle, lower: newLower, span: newThreshold - newLower, edges: e)
                }
                newCounts[Swift.min(Swift.max(target, 0), binCount - 1)] += counts[j]
            }
        }
        counts = newCounts
        edges = newEdges
        threshold = newThreshold
    }
}
