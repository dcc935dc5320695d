import Testing
import QKTensor
@testable import QKKernels

/// ``VectorMath/geluChain(_:divisor:offset:scale:scaleLast:_:count:)`` in every variant this CPU runs has the bits
/// of the same variant's separate passes: binary divide, erf, binary add, binary multiply twice.
@Suite struct GeluChainKernelTests {
    @Test(arguments: [false, true])
    func oneFusedPassEqualsFiveSeparatePasses(scaleLast: Bool) {
        var rng = SplitMix64(seed: 17)
        let count = 1037
        var x = (0..<count).map { _ in Float.random(in: -8...8, using: &rng) }
        x[0] = .nan; x[1] = .infinity; x[2] = -.infinity; x[3] = -0.0; x[4] = 1e-38
        let (d, o, s): (Float, Float, Float) = (1.4142135, 1, 0.5)
        for math in VectorMath.available {
            for length in [1, 7, 16, 33, count] {
                var fused = [Float](repeating: 0, count: length)
                var q = fused, e = fused, u = fused, h = fused, y = fused
                let (dd, oo, ss) = ([d], [o], [s])
                math.geluChain(x, divisor: d, offset: o, scale: s, scaleLast: scaleLast, &fused, count: length)
                math.binary(.divide, x, strideA: 1, dd, strideB: 0, &q, count: length)
                math.erf(q, &e, count: length)
                math.binary(.add, e, strideA: 1, oo, strideB: 0, &u, count: length)
                if scaleLast {
                    math.binary(.multiply, x, strideA: 1, u, strideB: 1, &h, count: length)
                    math.binary(.multiply, h, strideA: 1, ss, strideB: 0, &y, count: length)
                } else {
                    math.binary(.multiply, x, strideA: 1, ss, strideB: 0, &h, count: length)
                    math.binary(.multiply, h, strideA: 1, u, strideB: 1, &y, count: length)
                }
                #expect(fused.map(\.bitPattern) == y.map(\.bitPattern), "\(math) length \(length)")
            }
        }
    }
}
