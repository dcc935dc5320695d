import Testing
@testable import QKKernels

@Suite struct Int8GemmTests {
    /// (A − 1)·(B − [0, 2]) with A = [[1, 2], [3, 4]], B = [[−1, 2], [3, −4]]: [[3, −6], [7, −18]] by hand.
    @Test func handComputedWithPerColumnZeroPoints() {
        let a: [UInt8] = [1, 2, 3, 4], b: [Int8] = [-1, 2, 3, -4]
        let za: [Int32] = [1], zb: [Int32] = [0, 2]
        var c = [Int32](repeating: 0, count: 4)
        int8GemmReference(m: 2, n: 2, k: 2, a: a, lda: 2, aZeroPoints: za, aZeroStride: 0,
                          b: b, ldb: 2, bZeroPoints: zb, bZeroStride: 1, c: &c, ldc: 2)
        #expect(c == [3, -6, 7, -18])
    }

    /// Row strides larger than the matrix width: only the m×k / k×n / m×n windows are read and written.
    @Test func leadingDimensionsSkipPadding() {
        let a: [Int8] = [1, 2, 99, 3, 4, 99], b: [Int8] = [5, 6, 99, 7, 8, 99]
        var c: [Int32] = [0, 0, -1, 0, 0, -1]
        let zero: [Int32] = [0]
        int8GemmReference(m: 2, n: 2, k: 2, a: a, lda: 3, aZeroPoints: zero, aZeroStride: 0,
                          b: b, ldb: 3, bZeroPoints: zero, bZeroStride: 0, c: &c, ldc: 3)
        #expect(c == [19, 22, -1, 43, 50, -1])
    }

    @Test func randomU8S8MatchesInt64Loop() { check(UInt8.self, Int8.self, seed: 1) }
    @Test func randomS8S8MatchesInt64Loop() { check(Int8.self, Int8.self, seed: 2) }
    @Test func randomU8U8MatchesInt64Loop() { check(UInt8.self, UInt8.self, seed: 3) }

    /// Random odd shapes, per-row A and per-column B zero points, against a plain Int64 triple loop.
    private func check<A: FixedWidthInteger, B: FixedWidthInteger>(_: A.Type, _: B.Type, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<20 {
            let m = Int.random(in: 1...9, using: &rng), n = Int.random(in: 1...11, using: &rng)
            let k = Int.random(in: 1...37, using: &rng)
            let a = (0..<m * k).map { _ in A.random(in: A.min...A.max, using: &rng) }
            let b = (0..<k * n).map { _ in B.random(in: B.min...B.max, using: &rng) }
            let za = (0..<m).map { _ in Int32(A.random(in: A.min...A.max, using: &rng)) }
            let zb = (0..<n).map { _ in Int32(B.random(in: B.min...B.max, using: &rng)) }
            var c = [Int32](repeating: 0, count: m * n)
            int8GemmReference(m: m, n: n, k: k, a: a, lda: k, aZeroPoints: za, aZeroStride: 1,
                              b: b, ldb: n, bZeroPoints: zb, bZeroStride: 1, c: &c, ldc: n)
            var expected = [Int32]()
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Int64 = 0
                    for p in 0..<k { sum += (Int64(a[i * k + p]) - Int64(za[i])) * (Int64(b[p * n + j]) - Int64(zb[j])) }
                    expected.append(Int32(sum))
                }
            }
            #expect(c == expected, "m \(m) n \(n) k \(k)")
        }
    }
}

@Suite struct Int8ConvTests {
    /// 1×1×3×3 input 1…9 (zero point 1), 2×2 kernel of ones (zero point 0), pads 1 on every side:
    /// each output sums the shifted inputs 0…8 inside its window (hand-computed), plus bias 10.
    @Test func paddedConvTreatsPaddingAsZeroPoint() throws {
        let x: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9], w: [UInt8] = [1, 1, 1, 1]
        let geometry = try WindowGeometry(input: [3, 3], kernel: [2, 2], strides: nil, dilations: nil,
                                          pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        let shape = ConvShape(batch: 1, inputChannels: 1, outputChannels: 1, groups: 1, geometry: geometry)
        let y = x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                int8ConvReference(shape, input: px, inputZeroPoint: 1, weights: pw, weightZeroPoints: [0], bias: [10])
            }
        }
        // Shifted input [[0, 1, 2], [3, 4, 5], [6, 7, 8]], zero-padded; each output is a 2×2 window sum + 10.
        #expect(y == [
            10, 11, 13, 12,
            13, 18, 22, 17,
            19, 30, 34, 23,
            16, 23, 25, 18,
        ])
    }
}
