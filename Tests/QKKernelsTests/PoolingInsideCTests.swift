import Testing
@testable import QKKernels

/// The C max pooling ``Pooling/maxInside(_:planes:geometry:threads:)`` (u8, s8, fp32) against the Swift loops of
/// ``Pooling/max(_:planes:geometry:indices:columnMajor:threads:)`` (the per-tap index-tracking loop for the integers,
/// the index-free loop for fp32), bit for bit, on seeded 1-D, 2-D and 3-D shapes with windows inside the input; fp32
/// inputs carry NaNs and signed zeros.
@Suite struct PoolingInsideCTests {
    @Test(arguments: 0..<24)
    func matchesGeneralLoop(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 9_001)
        let g = try Self.geometry(seed: seed, rng: &rng)
        // Every sixth case is large enough to split over 2 threads.
        let planes = seed % 6 == 0 ? 3000 : Int.random(in: 1...9, using: &rng)
        let count = planes * g.inputSize
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let signed = bytes.map { Int8(bitPattern: $0) }
        var floats = rng.floats(count)
        for index in stride(from: seed % 5, to: count, by: 11) { floats[index] = .nan }
        for index in stride(from: seed % 3, to: count, by: 7) { floats[index] = index % 2 == 0 ? 0 : -0.0 }
        for threads in [1, 2] {
            let u8 = try #require(Pooling.maxInside(bytes, planes: planes, geometry: g, threads: threads))
            #expect(u8 == Pooling.max(bytes, planes: planes, geometry: g, indices: true).values, "u8 \(g)")
            let s8 = try #require(Pooling.maxInside(signed, planes: planes, geometry: g, threads: threads))
            #expect(s8 == Pooling.max(signed, planes: planes, geometry: g, indices: true).values, "s8 \(g)")
            let f32 = try #require(Pooling.maxInside(floats, planes: planes, geometry: g, threads: threads))
            // The index-free Swift loop: its fold keeps the last of equal values (+0 vs −0), where the
            // index-tracking loop keeps the first.
            let expected = Pooling.max(floats, planes: planes, geometry: g).values
            #expect(f32.map(\.bitPattern) == expected.map(\.bitPattern), "f32 \(g)")
        }
    }

    /// Padding that a window reads, or dilation, leaves the general path to run (nil).
    @Test func declinesPaddingAndDilation() throws {
        let padded = try WindowGeometry(input: [4, 4], kernel: [2, 2], strides: [2, 2], dilations: nil,
                                        pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        let dilated = try WindowGeometry(input: [5, 5], kernel: [2, 2], strides: [1, 1], dilations: [2, 2], pads: nil,
                                         autoPad: .notSet, ceilMode: false)
        #expect(Pooling.maxInside([UInt8](repeating: 1, count: 16), planes: 1, geometry: padded) == nil)
        #expect(Pooling.maxInside([Float](repeating: 1, count: 25), planes: 1, geometry: dilated) == nil)
    }

    /// Every third shape is the 2×2 stride-2 window (even sizes for the u8/s8 line-pair loop, odd ones for the
    /// general loop); the others have random kernels, strides, ranks and ceil mode (end padding never read).
    private static func geometry(seed: Int, rng: inout SeededGenerator) throws -> WindowGeometry {
        if seed % 3 == 0 {
            let input = [Int.random(in: 2...9, using: &rng), Int.random(in: 2...17, using: &rng)]
            return try WindowGeometry(input: input, kernel: [2, 2], strides: [2, 2], dilations: nil, pads: nil,
                                      autoPad: .notSet, ceilMode: false)
        }
        let rank = [1, 2, 2, 3][seed % 4]
        let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let input = kernel.map { $0 + Int.random(in: 0...8, using: &rng) }
        return try WindowGeometry(input: input, kernel: kernel, strides: (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) },
                                  dilations: nil, pads: nil, autoPad: .notSet, ceilMode: false)
    }
}
