import Testing
@testable import QKKernels

/// The C max pooling ``Pooling/maxInside(_:planes:geometry:threads:)`` (u8, s8, fp32) against the Swift loops of
/// ``Pooling/max(_:planes:geometry:indices:columnMajor:threads:)`` (the per-tap index-tracking loop for the integers,
/// the index-free loop for fp32), bit for bit, on every ``PoolingKernelPath`` this CPU has, on seeded 1-D, 2-D and
/// 3-D shapes with windows inside the input; fp32 inputs carry NaNs and signed zeros.
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
            try Self.expectAllPathsMatch(bytes, signed, floats, planes: planes, geometry: g, threads: threads)
        }
    }

    /// The 2×2 stride-2 window on every width class of the SIMD loops (whole line pairs 4 and 8 wide, 8/16-output
    /// steps, 4/8-output steps and scalar tails, odd input sizes whose last row or column is never read), with plane
    /// counts that leave every multi-pair step a remainder; ties of +0 and −0 and NaNs in every tap position.
    @Test(arguments: 0..<28)
    func twoByTwoMatchesGeneralLoop(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 4_243)
        let widths = [4, 8, 2, 3, 5, 9, 16, 17, 24, 32, 33, 34, 40, 48, 64, 66, 80, 6, 12, 10]
        let width = widths[seed % widths.count], height = Int.random(in: 2...9, using: &rng)
        let g = try seed % 7 == 6
            ? WindowGeometry(input: [Int.random(in: 1...3, using: &rng), height, width], kernel: [1, 2, 2],
                             strides: [1, 2, 2], dilations: nil, pads: nil, autoPad: .notSet, ceilMode: false)
            : WindowGeometry(input: [height, width], kernel: [2, 2], strides: [2, 2], dilations: nil, pads: nil,
                             autoPad: .notSet, ceilMode: false)
        let planes = seed % 9 == 4 ? 4096 : Int.random(in: 1...13, using: &rng)
        let count = planes * g.inputSize
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // Few distinct values, so that windows hold ties; NaNs at every fifth-ish position.
        let floats = (0..<count).map { _ -> Float in
            let k = Int.random(in: 0..<12, using: &rng)
            return k == 0 ? .nan : k < 4 ? (k % 2 == 0 ? 0 : -0.0) : Float(k - 8)
        }
        for threads in [1, 2] {
            try Self.expectAllPathsMatch(bytes, bytes.map { Int8(bitPattern: $0) }, floats, planes: planes, geometry: g,
                                         threads: threads)
        }
    }

    /// Every path of ``Pooling/maxInside(_:planes:geometry:threads:path:)`` against the Swift loops: the
    /// index-tracking loop for u8 and s8, the index-free loop for fp32 (whose fold keeps the last of equal values,
    /// +0 vs −0, where the index-tracking loop keeps the first).
    private static func expectAllPathsMatch(_ bytes: [UInt8], _ signed: [Int8], _ floats: [Float], planes: Int,
                                            geometry g: WindowGeometry, threads: Int) throws {
        let expectedU8 = Pooling.max(bytes, planes: planes, geometry: g, indices: true).values
        let expectedS8 = Pooling.max(signed, planes: planes, geometry: g, indices: true).values
        let expectedF32 = Pooling.max(floats, planes: planes, geometry: g).values.map(\.bitPattern)
        for path in PoolingKernelPath.available {
            let u8 = try #require(Pooling.maxInside(bytes, planes: planes, geometry: g, threads: threads, path: path))
            #expect(u8 == expectedU8, "u8 \(g) \(path) planes \(planes)")
            let s8 = try #require(Pooling.maxInside(signed, planes: planes, geometry: g, threads: threads, path: path))
            #expect(s8 == expectedS8, "s8 \(g) \(path) planes \(planes)")
            let f32 = try #require(Pooling.maxInside(floats, planes: planes, geometry: g, threads: threads, path: path))
            #expect(f32.map(\.bitPattern) == expectedF32, "f32 \(g) \(path) planes \(planes)")
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
