import Testing
@testable import QKKernels

/// The SIMD requantization of every path against the scalar ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``
/// of FixedPoint.swift, bit for bit, including the edge values of int32, ties, left shifts and shift 31.
@Suite struct Int8RequantizeTests {
    static let edges: [Int32] = [.min, .min + 1, -1 << 30, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, 1 << 30, .max - 1, .max]

    @Test(arguments: Int8KernelPath.available) func matchesScalarRequantize(path: Int8KernelPath) {
        var rng = SeededGenerator(seed: 41)
        var acc = Int8RequantizeTests.edges
        acc += (0..<300).map { _ in Int32.random(in: .min ... .max, using: &rng) }
        acc += (0..<300).map { _ in Int32.random(in: -70_000...70_000, using: &rng) }
        let multipliers: [(Int32, Int32)] = [
            (1 << 30, 0), (1 << 30, 1), (1 << 30, 31), (Int32.max, 0), (0, 0), (1_288_490_189, 1),
            (1_073_741_824, 5), (1_500_000_000, 40), (1_288_490_189, -3), (Int32.max, -31), (Int32.min, 0),
        ] + (0..<20).map { _ in
            (Int32.random(in: 1 << 30 ... Int32.max, using: &rng), Int32.random(in: -4...31, using: &rng))
        }
        for (multiplier, shift) in multipliers {
            for (qmin, qmax, zero): (Int32, Int32, Int32) in [(0, 255, 128), (-128, 127, -5), (3, 200, 0)] {
                let r = Int8Requantization(multipliers: [multiplier], shifts: [shift], zeroPoint: zero, qmin: qmin,
                                           qmax: qmax)
                let expected = acc.map {
                    UInt8(truncatingIfNeeded: requantize(acc: $0, multiplier: multiplier, shift: Int(shift),
                                                         zeroPoint: zero, qmin: qmin, qmax: qmax))
                }
                var out = [UInt8](repeating: 0xAA, count: acc.count)
                out.withUnsafeMutableBytes { o in
                    int8Requantize(acc, outer: 1, channels: 1, inner: acc.count, requantization: r,
                                   output: o.baseAddress!, path: path)
                }
                #expect(out == expected, "\(path) multiplier \(multiplier) shift \(shift) [\(qmin), \(qmax)]")
            }
        }
    }

    /// Per-channel runs use channel c's multiplier for its `inner` elements.
    @Test func perChannelRuns() {
        let acc: [Int32] = [100, 100, 100, 100, 100, 100]
        let r = Int8Requantization(realMultipliers: [0.5, 0.25, 1.0], zeroPoint: 1, signed: false)
        var out = [UInt8](repeating: 0, count: 6)
        out.withUnsafeMutableBytes { o in
            int8Requantize(acc, outer: 1, channels: 3, inner: 2, requantization: r, output: o.baseAddress!)
        }
        #expect(out == [51, 51, 26, 26, 101, 101])
    }
}
