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

    /// 2×2 windows with stride 2 (the vectorised ``Pooling/maxPairs2x2(_:_:axes:)`` when output rows are a
    /// multiple of 4 wide), with NaNs in every tap position, bit for bit against the per-tap loop.
    @Test(arguments: 0..<12)
    func pairsOfTwoByTwoMatchNaiveLoops(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 733)
        let input = [Int.random(in: 2...9, using: &rng), [8, 9, 16, 17, 6][seed % 5]]
        let g = try WindowGeometry(input: input, kernel: [2, 2], strides: [2, 2], dilations: nil, pads: nil,
                                   autoPad: .notSet, ceilMode: false)
        let planes = Int.random(in: 1...5, using: &rng)
        var x = rng.floats(planes * g.inputSize)
        for index in stride(from: seed % 4, to: x.count, by: 7) { x[index] = .nan }
        let expected = PoolingPropertyTests.naive(x, planes: planes, g, .max)
        let got = Pooling.max(x, planes: planes, geometry: g).values
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(g)")
    }
}
