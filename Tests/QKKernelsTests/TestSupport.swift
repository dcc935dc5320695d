import QKTensor

/// QuantKit's seeded SplitMix64, so every test run sees the same numbers.
typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &self) }
    }
}

/// The largest |x − y| / max(1, |y|) over two equally long arrays (infinity when the lengths differ).
func maxRelativeError(_ x: [Float], _ y: [Float]) -> Float {
    guard x.count == y.count else { return .infinity }
    var worst: Float = 0
    for (u, v) in zip(x, y) {
        if u.isNaN != v.isNaN { return .infinity }
        if u.isNaN { continue }
        worst = max(worst, abs(u - v) / max(1, abs(v)))
    }
    return worst
}
