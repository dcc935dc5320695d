import Testing
@testable import QKKernels

/// ``int8BatchedGemm`` (both operands at run time) on every path, against ``int8GemmReference`` per batch and the
/// scalar ``requantize(acc:multiplier:shift:zeroPoint:qmin:qmax:)``, bit for bit; batches broadcast A or B, zero
/// points per tensor, per row of A or per column of B.
@Suite struct Int8BatchedGemmTests {
    @Test(arguments: Int8KernelPath.available) func u8TimesS8(path: Int8KernelPath) {
        sweep(UInt8.self, Int8.self, path, seed: 31)
    }

    @Test(arguments: Int8KernelPath.available) func s8TimesS8(path: Int8KernelPath) {
        sweep(Int8.self, Int8.self, path, seed: 32)
    }

    @Test(arguments: Int8KernelPath.available) func u8TimesU8(path: Int8KernelPath) {
        sweep(UInt8.self, UInt8.self, path, seed: 33)
    }

    /// By hand: A = [2, 3] (two 1×1 matrices, za 0), B = [5] (zb 1) broadcast → [2·4, 3·4].
    @Test func handComputed() {
        var c: [Int32] = [0, 0]
        c.withUnsafeMutableBufferPointer { out in
            int8BatchedGemm(count: 2, m: 1, n: 1, k: 1, a: [UInt8(2), 3], aZeroPoints: [0], b: [Int8(5)], bZeroPoints: [1],
                            operands: { ($0, 0) }, output: .int32(out.baseAddress!))
        }
        #expect(c == [8, 12])
    }

    private func sweep<A: FixedWidthInteger, B: FixedWidthInteger>(_: A.Type, _: B.Type, _ path: Int8KernelPath,
                                                                  seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<24 {
            let m = Int.random(in: 1...21, using: &rng), n = Int.random(in: 1...40, using: &rng)
            let k = trial % 3 == 0 ? 4 * Int.random(in: 1...20, using: &rng) : Int.random(in: 1...70, using: &rng)
            let count = Int.random(in: 1...6, using: &rng)
            // Broadcast: 0 = both batched, 1 = one A for all, 2 = one B for all.
            let mode = trial % 3
            let aCount = mode == 1 ? 1 : count, bCount = mode == 2 ? 1 : count
            let a = (0..<aCount * m * k).map { _ in A.random(in: A.min...A.max, using: &rng) }
            let b = (0..<bCount * k * n).map { _ in B.random(in: B.min...B.max, using: &rng) }
            let za = (0..<(trial % 4 == 1 ? m : 1)).map { _ in Int32(A.random(in: A.min...A.max, using: &rng)) }
            let zb = (0..<(trial % 4 == 2 ? n : 1)).map { _ in Int32(B.random(in: B.min...B.max, using: &rng)) }
            let operands = { (t: Int) in (aCount == 1 ? 0 : t, bCount == 1 ? 0 : t) }
            var expected = [Int32](repeating: 0, count: count * m * n)
            for t in 0..<count {
                let (ia, ib) = operands(t)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        expected.withUnsafeMutableBufferPointer { pc in
                            int8GemmReference(m: m, n: n, k: k, a: pa.baseAddress! + ia * m * k, lda: k, aZeroPoints: za,
                                              aZeroStride: za.count == 1 ? 0 : 1, b: pb.baseAddress! + ib * k * n, ldb: n, bZeroPoints: zb,
                                              bZeroStride: zb.count == 1 ? 0 : 1, c: pc.baseAddress! + t * m * n, ldc: n)
                        }
                    }
                }
            }
            var got = [Int32](repeating: -7, count: count * m * n)
            got.withUnsafeMutableBufferPointer { out in
                int8BatchedGemm(count: count, m: m, n: n, k: k, a: a, aZeroPoints: za, b: b, bZeroPoints: zb,
                                operands: operands, output: .int32(out.baseAddress!), threads: 1 + trial % 2, path: path)
            }
            #expect(got == expected, "int32 \(path) count \(count) m \(m) n \(n) k \(k)")
            let r = Int8Requantization(realMultipliers: [Double.random(in: 1e-5...3e-3, using: &rng)],
                                       zeroPoint: Int32.random(in: 0...255, using: &rng), signed: false)
            let wanted = expected.map {
                UInt8(requantize(acc: $0, multiplier: r.multipliers[0], shift: Int(r.shifts[0]), zeroPoint: r.zeroPoint,
                                 qmin: r.qmin, qmax: r.qmax))
            }
            var q = [UInt8](repeating: 0xAA, count: count * m * n)
            q.withUnsafeMutableBufferPointer { out in
                int8BatchedGemm(count: count, m: m, n: n, k: k, a: a, aZeroPoints: za, b: b, bZeroPoints: zb,
                                operands: operands, output: .uint8(out.baseAddress!, r), threads: 2, path: path)
            }
            #expect(q == wanted, "requantized \(path) count \(count) m \(m) n \(n) k \(k)")
        }
    }
}
