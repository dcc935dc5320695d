import Foundation

/// The KL-divergence threshold search of ``EntropyObserver``, in O(n + (n/L)·L) = O(n) logarithms.
///
/// With prefix sums S (counts), Z (non-empty bins) and E (Σ h log h over non-empty bins), total N and
/// candidate i (clipped mass O = N − S_i, edge bin e = h_{i−1} + O, levels g of q with count s_g over z_g
/// non-empty bins of p, and s'_g = s_g plus O for the last level):
///
///     KL_i = (E_{i−1} + e log e − Σ_g s'_g log(s_g / z_g)) / N − log N + log S_i
///
/// because p_k = h_k / N and q_k = (s_g / z_g) / S_i. All levels but the last span the same bins for every i with
/// the same ⌊i/L⌋, so their sum is computed once per level width (n/L times). A candidate whose last level
/// receives clipped mass but holds no in-range count (q = 0 where p > 0) has KL = ∞ and is skipped.
enum KLThreshold {
    /// KL values within this relative distance of the best count as ties (empty bins make exact ties that
    /// rounding would otherwise break at random); the larger threshold wins.
    static let tieTolerance = 1e-9

    /// The bin count i ∈ levels … n of the smallest KL (the largest i on ties within ``tieTolerance``); n when
    /// n ≤ levels or all counts are 0.
    static func bestBinCount(_ counts: [Double], levels: Int) -> Int {
        let n = counts.count
        guard levels > 0, n > levels else { return n }
        let prefix = Prefix(counts)
        let total = prefix.sum[n]
        guard total > 0 else { return n }
        let logTotal = log(total)
        var best = (divergence: Double.infinity, binCount: n)
        var width = 0
        var fullLevels = 0.0
        for i in levels...n {
            if i / levels != width {
                width = i / levels
                fullLevels = (0..<(levels - 1)).reduce(0) { $0 + prefix.levelTerm($1 * width, $1 * width + width) }
            }
            let first = (levels - 1) * width
            let clipped = Swift.max(0, total - prefix.sum[i])
            let edge = counts[i - 1] + clipped
            let lastSum = prefix.sum[i] - prefix.sum[first]
            var lastNonEmpty = prefix.nonEmpty[i] - prefix.nonEmpty[first]
            if counts[i - 1] <= 0, clipped > 0 { lastNonEmpty += 1 }
            guard lastNonEmpty == 0 || lastSum > 0 else { continue }
            let lastTerm = lastNonEmpty > 0 ? (lastSum + clipped) * log(lastSum / Double(lastNonEmpty)) : 0
            let pLogP = prefix.entropyTerm[i - 1] + (edge > 0 ? edge * log(edge) : 0)
            let divergence = (pLogP - fullLevels - lastTerm) / total - logTotal + log(prefix.sum[i])
            if divergence <= best.divergence + tieTolerance * Swift.abs(best.divergence) {
                best = (Swift.min(divergence, best.divergence), i)
            }
        }
        return best.binCount
    }

    /// Prefix sums over the histogram: sum[k] = Σ_{j<k} h_j, nonEmpty[k] = #{j < k: h_j > 0},
    /// entropyTerm[k] = Σ_{j<k, h_j>0} h_j log h_j.
    private struct Prefix {
        var sum: [Double]
        var nonEmpty: [Int]
        var entropyTerm: [Double]

        init(_ counts: [Double]) {
            sum = [0]
            nonEmpty = [0]
            entropyTerm = [0]
            for c in counts {
                let filled = c > 0
                sum.append(sum[sum.count - 1] + Swift.max(c, 0))
                nonEmpty.append(nonEmpty[nonEmpty.count - 1] + (filled ? 1 : 0))
                entropyTerm.append(entropyTerm[entropyTerm.count - 1] + (filled ? c * log(c) : 0))
            }
        }

        /// s log(s / z) for the level over bins a ..< b (0 when it has no non-empty bin).
        func levelTerm(_ a: Int, _ b: Int) -> Double {
            let z = nonEmpty[b] - nonEmpty[a]
            guard z > 0 else { return 0 }
            let s = sum[b] - sum[a]
            return s * log(s / Double(z))
        }
    }
}
