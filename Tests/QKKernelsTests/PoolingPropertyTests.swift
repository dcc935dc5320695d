import Foundation
import Testing
@testable import QKKernels

/// Pooling against a plain per-tap loop written independently here (2-D, one plane at a time).
@Suite struct PoolingPropertyTests {
    enum Kind { case max, average(includePad: Bool), lp(Float) }

    static func naive(_ x: [Float], planes: Int, _ g: WindowGeometry, _ kind: Kind) -> [Float] {
        let (h, w) = (g.input[0], g.input[1])
        var y: [Float] = []
        for plane in 0..<planes {
            for oh in 0..<g.output[0] {
                for ow in 0..<g.output[1] {
                    var taps: [Float] = [], padded = 0
                    for kh in 0..<g.kernel[0] {
                        for kw in 0..<g.kernel[1] {
                            let ih = oh * g.strides[0] - g.padsBegin[0] + kh * g.dilations[0]
                            let iw = ow * g.strides[1] - g.padsBegin[1] + kw * g.dilations[1]
                            if ih < h + g.padsEnd[0] && iw < w + g.padsEnd[1] { padded += 1 }
                            if ih >= 0 && ih < h && iw >= 0 && iw < w { taps.append(x[plane * h * w + ih * w + iw]) }
                        }
                    }
                    switch kind {
                    case .max: y.append(taps.max() ?? 0)
                    case .average(let includePad): y.append(taps.reduce(0, +) / Float(includePad ? padded : taps.count))
                    case .lp(let p): y.append(pow(taps.reduce(0) { $0 + pow(abs($1), p) }, 1 / p))
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: 0..<30)
    func randomWindowsMatchNaiveLoops(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 31)
        let kernel = (0..<2).map { _ in Int.random(in: 1...4, using: &rng) }
        let pads = (0..<4).map { i in Int.random(in: 0..<kernel[i % 2], using: &rng) }
        let g = try WindowGeometry(input: (0..<2).map { _ in Int.random(in: 7...11, using: &rng) }, kernel: kernel,
                                   strides: (0..<2).map { _ in Int.random(in: 1...3, using: &rng) },
                                   dilations: (0..<2).map { _ in Int.random(in: 1...2, using: &rng) }, pads: pads,
                                   autoPad: [.notSet, .notSet, .sameUpper, .sameLower, .valid][seed % 5],
                                   ceilMode: seed % 3 == 0)
        let planes = Int.random(in: 1...3, using: &rng)
        let x = rng.floats(planes * g.inputSize)
        #expect(Pooling.max(x, planes: planes, geometry: g, threads: 2).values == Self.naive(x, planes: planes, g, .max))
        #expect(Pooling.max(x, planes: planes, geometry: g, indices: true).values == Self.naive(x, planes: planes, g, .max))
        for includePad in [false, true] {
            let got = Pooling.average(x, planes: planes, geometry: g, countIncludePad: includePad, threads: 2)
            #expect(maxRelativeError(got, Self.naive(x, planes: planes, g, .average(includePad: includePad))) < 1e-5)
        }
        let lp = Pooling.lp(x, planes: planes, geometry: g, p: 3)
        #expect(maxRelativeError(lp, Self.naive(x, planes: planes, g, .lp(3))) < 1e-4)
    }
}
