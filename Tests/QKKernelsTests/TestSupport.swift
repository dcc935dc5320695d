/// SplitMix64: a small seeded generator so every test run sees the same numbers.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
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
