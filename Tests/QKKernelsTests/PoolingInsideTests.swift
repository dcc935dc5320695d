import Testing
@testable import QKKernels

/// Max pooling whose windows all lie inside the input (no padding, no dilation) takes the plain strided loop
/// ``Pooling/maxInside(_:_:axes:)``; it must equal the independent per-tap loop.
@Suite struct PoolingInsideTests {
    @Test(arguments: 0..<20)
    func unpaddedWindowsMatchNaiveLoops(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 517)
        let kernel = (0..<2).map { _ in Int.random(in: 1...3, using: &rng) }
        let g = try WindowGeometry(input: (0..<2).map { _ in Int.random(in: 3...10, using: &rng) }, kernel: kernel,
                                   strides: (0..<2).map { _ in Int.random(in: 1...3, using: &rng) }, dilations: nil,
                                   pads: nil, autoPad: .notSet, ceilMode: false)
        // Every fifth case is large enough (> minimumParallelWork) to split over 2 threads.
        let planes = seed % 5 == 0 ? 2000 : Int.random(in: 1...40, using: &rng)
        var x = rng.floats(planes * g.inputSize)
        if seed % 4 == 1 { x[seed] = .nan }  // NaN rule: skipped after a window's first tap, kept as first tap
        let expected = PoolingPropertyTests.naive(x, planes: planes, g, .max)
        for threads in [1, 2] {
            let got = Pooling.max(x, planes: planes, geometry: g, threads: threads).values
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(g) threads \(threads)")
        }
    }
}
