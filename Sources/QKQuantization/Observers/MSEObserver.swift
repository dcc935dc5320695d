/// Chooses the clip range that minimises the expected squared quantization error over a signed histogram,
/// for a given target type.
///
/// For a candidate range [a, b], (scale, zero point) come from ``quantParameters(min:max:type:symmetric:reduceRange:)``
/// and the representable interval is [scale · (qmin − zp), scale · (qmax − zp)] (qmin/qmax of the full type, as
/// QuantizeLinear saturates there). Each bin, represented by its centre c with count n, adds
///
/// | centre                      | expected error            |
/// |-----------------------------|---------------------------|
/// | inside the interval         | n · scale² / 12 (rounding) |
/// | outside                     | n · (c − nearest end)²     |
///
/// Candidates: symmetric — (−e, e) for every positive edge e; asymmetric — starting from all bins, repeatedly drop
/// the end bin (left or right) holding fewer counts, keeping at least one bin. The best candidate (first on ties)
/// is returned clamped into the observed [min, max].
public struct MSEObserver: RangeObserver, Equatable {
    public let type: QuantType
    public let symmetric: Bool
    public let reduceRange: Bool
    public private(set) var histogram: FixedHistogram

    public init(type: QuantType = .uint8, symmetric: Bool = false, reduceRange: Bool = false, bins: Int = 2048) {
        self.type = type
        self.symmetric = symmetric
        self.reduceRange = reduceRange
        histogram = FixedHistogram(binCount: bins, domain: .signed)
    }

    public var nanCount: Int { histogram.nanCount }
    public var infinityCount: Int { histogram.infinityCount }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.add(values) }

    public func range() -> (min: Float, max: Float) {
        guard histogram.total > 0 else { return (0, 0) }
        let edges = histogram.edges
        let n = histogram.binCount
        let moments = BinMoments(histogram)
        var best = (error: Double.infinity, low: edges[0], high: edges[n])
        func consider(_ low: Float, _ high: Float) {
            let e = expectedError(low: low, high: high, moments: moments)
            if e < best.error { best = (e, low, high) }
        }
        if symmetric {
            for k in (n / 2)...n where edges[k] > 0 { consider(-edges[k], edges[k]) }
        } else {
            var left = 0, right = n
            consider(edges[left], edges[right])
            while right - left > 1 {
                if histogram.counts[left] <= histogram.counts[right - 1] { left += 1 } else { right -= 1 }
                consider(edges[left], edges[right])
            }
        }
        if best.error == .infinity { return (histogram.minimum, histogram.maximum) }
        return (Swift.max(best.low, histogram.minimum), Swift.min(best.high, histogram.maximum))
    }

    /// Σ over bins of the expected squared error when quantizing with the range [low, high].
    func expectedError(low: Float, high: Float) -> Double {
        expectedError(low: low, high: high, moments: BinMoments(histogram))
    }

    /// The table's sum in O(log n): with bins [0, a) below the interval and [b, n) above it,
    /// Σ_{k<a} n_k (lo − c_k)² = lo²·N_a − 2 lo·C_a + D_a (prefix sums N, C, D of n, n·c, n·c²), likewise above.
    private func expectedError(low: Float, high: Float, moments m: BinMoments) -> Double {
        let (scale, zeroPoint) = quantParameters(min: low, max: high, type: type, symmetric: symmetric,
                                                 reduceRange: reduceRange)
        let s = Double(scale)
        let lowest = s * Double(type.qmin - zeroPoint)
        let highest = s * Double(type.qmax - zeroPoint)
        let below = m.firstCentre { $0 >= lowest }
        let above = Swift.max(below, m.firstCentre { $0 > highest })
        let n = m.count.count - 1
        let underflow = lowest * lowest * m.count[below] - 2 * lowest * m.first[below] + m.second[below]
        let overflowCount = m.count[n] - m.count[above]
        let overflow = (m.second[n] - m.second[above]) - 2 * highest * (m.first[n] - m.first[above])
            + highest * highest * overflowCount
        let inside = (m.count[above] - m.count[below]) * s * s / 12
        return Swift.max(0, underflow) + Swift.max(0, overflow) + inside
    }
}

/// Bin centres and prefix sums of count, count·centre and count·centre² (index k: bins 0 ..< k).
private struct BinMoments {
    var centres: [Double] = []
    var count: [Double] = [0]
    var first: [Double] = [0]
    var second: [Double] = [0]

    init(_ histogram: FixedHistogram) {
        for (k, n) in histogram.counts.enumerated() {
            let c = (Double(histogram.edges[k]) + Double(histogram.edges[k + 1])) / 2
            centres.append(c)
            count.append(count[k] + n)
            first.append(first[k] + n * c)
            second.append(second[k] + n * c * c)
        }
    }

    /// The first bin whose centre satisfies `condition` (monotone: false … false true … true), or the bin count.
    func firstCentre(where condition: (Double) -> Bool) -> Int {
        var lo = 0, hi = centres.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if condition(centres[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
