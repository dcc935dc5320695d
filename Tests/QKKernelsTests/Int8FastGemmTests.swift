import Testing
@testable import QKKernels

/// The fast int8 GEMM on every path this CPU runs, against ``int8GemmReference`` (+ bias, + scalar
/// ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``), bit for bit.
@Suite struct Int8FastGemmTests {
    static let paths = Int8KernelPath.available

    /// m = n = k = 1 by hand: (3 − 1) · (4 − 0) + 5 = 13.
    @Test(arguments: paths) func handComputedScalar(path: Int8KernelPath) {
        let weights = PackedInt8Weights([Int8(4)], k: 1, n: 1, transposed: false, zeroPoints: [0], path: path)
        var c: [Int32] = [0]
        let a: [UInt8] = [3]
        c.withUnsafeMutableBufferPointer { out in
            int8Gemm(m: 1, a: a, lda: 1, aZeroPoints: [1], weights: weights, bias: [5],
                     output: .int32(out.baseAddress!), ldc: 1)
        }
        #expect(c == [13])
    }

    @Test(arguments: paths) func randomU8S8(path: Int8KernelPath) { sweep(UInt8.self, Int8.self, path, seed: 11) }
    @Test(arguments: paths) func randomS8S8(path: Int8KernelPath) { sweep(Int8.self, Int8.self, path, seed: 12) }
    @Test(arguments: paths) func randomU8U8(path: Int8KernelPath) { sweep(UInt8.self, UInt8.self, path, seed: 13) }
    @Test(arguments: paths) func randomS8U8(path: Int8KernelPath) { sweep(Int8.self, UInt8.self, path, seed: 14) }

    /// Two threads on shapes big enough to split (rows or columns), same bytes as the reference.
    @Test(arguments: paths) func twoThreadsMatchReference(path: Int8KernelPath) {
        var rng = SeededGenerator(seed: 21)
        for (m, n, k) in [(150, 40, 131), (9, 700, 99), (1, 1500, 400), (64, 64, 130)] {
            let problem = GemmProblem<UInt8, Int8>(m: m, n: n, k: k, rng: &rng)
            problem.check(path: path, threads: 2)
        }
    }

    /// vpmaddubsw saturates int16 when a weight pair has |b₀| + |b₁| > 128: such weights must fall back to the
    /// widening path (and stay exact), small weights keep the fast path.
    @Test func avx2PairCheckPicksThePath() throws {
        try #require(Int8KernelPath.available.contains(.avx2))
        let wide = PackedInt8Weights([Int8](repeating: -128, count: 8), k: 4, n: 2, transposed: false,
                                     zeroPoints: [0], path: .avx2)
        #expect(wide.path == .avx2Widening)
        let narrow = PackedInt8Weights([Int8](repeating: -64, count: 8), k: 4, n: 2, transposed: false,
                                       zeroPoints: [0], path: .avx2)
        #expect(narrow.path == .avx2)
        // Worst case for the unchecked kernel: a = 255, b = −128 pairs (−65280 would saturate to −32768).
        var rng = SeededGenerator(seed: 22)
        var problem = GemmProblem<UInt8, Int8>(m: 5, n: 17, k: 33, rng: &rng)
        problem.a = problem.a.map { _ in 255 }
        problem.b = problem.b.map { _ in -128 }
        problem.check(path: .avx2, threads: 1)
    }

    /// Random shapes (odd sizes, m = 1, k not a multiple of 4), per-tensor/per-row/per-column zero points, with and
    /// without bias, int32 and requantized (per tensor and per column, u8 and s8, with a clamp) outputs.
    private func sweep<A: FixedWidthInteger, B: FixedWidthInteger>(_: A.Type, _: B.Type, _ path: Int8KernelPath,
                                                                  seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<40 {
            let m = trial % 5 == 0 ? 1 : Int.random(in: 1...19, using: &rng)
            let n = Int.random(in: 1...70, using: &rng), k = Int.random(in: 1...150, using: &rng)
            let problem = GemmProblem<A, B>(m: m, n: n, k: k, rng: &rng)
            problem.check(path: path, threads: 1)
        }
    }
}

/// One random GEMM with its reference results.
struct GemmProblem<A: FixedWidthInteger, B: FixedWidthInteger> {
    let m: Int, n: Int, k: Int
    var a: [A], b: [B]
    let aZero: [Int32], bZero: [Int32]
    let bias: [Int32]?
    let requantization: Int8Requantization

    init(m: Int, n: Int, k: Int, rng: inout SeededGenerator) {
        self.m = m
        self.n = n
        self.k = k
        a = (0..<m * k).map { _ in A.random(in: A.min...A.max, using: &rng) }
        b = (0..<k * n).map { _ in B.random(in: B.min...B.max, using: &rng) }
        let perRow = Bool.random(using: &rng), perColumn = Bool.random(using: &rng)
        aZero = (0..<(perRow ? m : 1)).map { _ in Int32(A.random(in: A.min...A.max, using: &rng)) }
        bZero = (0..<(perColumn ? n : 1)).map { _ in Int32(B.random(in: B.min...B.max, using: &rng)) }
        bias = Bool.random(using: &rng) ? (0..<n).map { _ in Int32.random(in: -100_000...100_000, using: &rng) } : nil
        let channels = Bool.random(using: &rng) ? n : 1
        let reals = (0..<channels).map { _ in Double.random(in: 1e-6...2e-3, using: &rng) }
        let signed = Bool.random(using: &rng)
        let zero = Int32.random(in: signed ? -128...127 : 0...255, using: &rng)
        var r = Int8Requantization(realMultipliers: reals, zeroPoint: zero, signed: signed)
        if Bool.random(using: &rng) { r = r.clamped(lower: zero, upper: nil) }
        requantization = r
    }

    /// Reference Σ (a − za)(b − zb) + bias.
    func reference() -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        int8GemmReference(m: m, n: n, k: k, a: a, lda: k, aZeroPoints: aZero, aZeroStride: aZero.count == 1 ? 0 : 1,
                          b: b, ldb: n, bZeroPoints: bZero, bZeroStride: bZero.count == 1 ? 0 : 1, c: &c, ldc: n)
        if let bias { for i in 0..<m { for j in 0..<n { c[i * n + j] &+= bias[j] } } }
        return c
    }

    func check(path: Int8KernelPath, threads: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let weights = PackedInt8Weights(b, k: k, n: n, transposed: false, zeroPoints: bZero, path: path)
        let expected = reference()
        var c = [Int32](repeating: -7, count: m * n)
        c.withUnsafeMutableBufferPointer { out in
            int8Gemm(m: m, a: a, lda: k, aZeroPoints: aZero, weights: weights, bias: bias,
                     output: .int32(out.baseAddress!), ldc: n, threads: threads)
        }
        #expect(c == expected, "int32 \(path) m \(m) n \(n) k \(k)", sourceLocation: sourceLocation)
        let r = requantization
        let wanted = expected.enumerated().map { index, v in
            let channel = r.channels == 1 ? 0 : index % n
            return UInt8(truncatingIfNeeded: requantize(acc: v, multiplier: r.multipliers[channel],
                                                        shift: Int(r.shifts[channel]), zeroPoint: r.zeroPoint,
                                                        qmin: r.qmin, qmax: r.qmax))
        }
        var q = [UInt8](repeating: 0xAA, count: m * n)
        q.withUnsafeMutableBufferPointer { out in
            let output: Int8Output = r.qmin < 0
                ? .int8(UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: Int8.self), r)
                : .uint8(out.baseAddress!, r)
            int8Gemm(m: m, a: a, lda: k, aZeroPoints: aZero, weights: weights, bias: bias, output: output, ldc: n,
                     threads: threads)
        }
        #expect(q == wanted, "requantized \(path) m \(m) n \(n) k \(k)", sourceLocation: sourceLocation)
    }
}
