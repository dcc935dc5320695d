/// A histogram with a fixed number of bins over [−T, T] (`.signed`, of x) or [0, T] (`.absolute`, of |x|),
/// T = the largest finite |x| seen so far.
///
/// Bin edges are NumPy's `linspace` in float32 (edge i = i · ((hi − lo) / n) + lo, last edge = hi) and a value
/// falls in bin i when edge[i] ≤ v < edge[i+1] (the last bin is closed), so a single batch gives exactly
/// `numpy.histogram(x, n, range=(−T, T))`. When a batch raises T, the old counts are re-binned onto the new
/// edges, each old bin's count split over the new bins in proportion to their overlap (assuming values uniform
/// inside a bin), so counts become fractional and memory never grows. ONNX Runtime instead appends bins.
public struct FixedHistogram: Sendable, Equatable {
    public enum Domain: Sendable, Equatable { case signed, absolute }

    public let binCount: Int
    public let domain: Domain
    /// Observations per bin (fractional after re-binning).
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
        counts.withUnsafeMutableBufferPointer { counts in
            edges.withUnsafeBufferPointer { edges in
                for raw in values where raw.isFinite {
                    let v = domain == .absolute ? abs(raw) : raw
                    counts[bin(of: v, lower: lower, span: span, edges: edges)] += 1
                }
            }
        }
        self.counts = counts
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
    private func bin(of v: Float, lower: Float, span: Float, edges: UnsafeBufferPointer<Float>) -> Int {
        let count = binCount
        guard span > 0 else { return domain == .signed ? count / 2 : 0 }
        let guess = ((v - lower) / span) * Float(count)
        var i = guess.isFinite ? Swift.min(Swift.max(Int(guess), 0), count - 1) : 0
        if v < edges[i] {
            i -= 1
        } else if i < count - 1, v >= edges[i + 1] {
            i += 1
        }
        return Swift.min(Swift.max(i, 0), count - 1)
    }

    /// Moves the counts onto the edges for threshold `newThreshold` > `threshold`, splitting each old bin's
    /// count over the new bins by overlap.
    private mutating func rebin(to newThreshold: Float) {
        let newEdges = Self.edges(count: binCount, lower: lowerEdge(for: newThreshold), upper: newThreshold)
        var newCounts = [Double](repeating: 0, count: binCount)
        var k = 0
        for j in 0..<binCount where counts[j] > 0 {
            let a = Double(edges[j]), b = Double(edges[j + 1])
            guard b > a else {
                newEdges.withUnsafeBufferPointer { e in
                    let span = newThreshold - lowerEdge(for: newThreshold)
                    newCounts[bin(of: Float(a), lower: e[0], span: span, edges: e)] += counts[j]
                }
                continue
            }
            while k < binCount - 1, Double(newEdges[k + 1]) <= a { k += 1 }
            var m = k
            while m < binCount {
                let overlap = Swift.min(b, Double(newEdges[m + 1])) - Swift.max(a, Double(newEdges[m]))
                if overlap > 0 { newCounts[m] += counts[j] * overlap / (b - a) }
                if Double(newEdges[m + 1]) >= b { break }
                m += 1
            }
        }
        counts = newCounts
        edges = newEdges
        threshold = newThreshold
    }
}
