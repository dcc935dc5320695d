import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// MatMul, Gemm and FusedGemm with a constant B, prepared once (B packed at load time), against plain loops
/// and against the same node run without preparation.
@Suite struct LinearPreparedTests {
    /// Runs `opType` with input 1 (B) given as a constant at preparation, the rest at run time.
    private func runPrepared(_ opType: String, domain: String = "", _ inputs: [Tensor?],
                             attributes: [String: Attribute] = [:], threads: Int) throws -> Tensor {
        let node = Node(name: "n", opType: opType, domain: domain, inputs: inputs.indices.map { "i\($0)" },
                        outputs: ["y"], attributes: attributes)
        let kernel = try OpTable.preparedKernel(for: node, opset: 13) { $0 == "i1" ? inputs[1] : nil }
        let prepared = try #require(kernel)
        return try prepared(KernelContext(node: node, inputs: inputs, opset: 13, threads: threads))[0]
    }

    private func randomFloats(_ shape: [Int], _ rng: inout SplitMix64) -> Tensor {
        floats(shape, (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    /// Batched A (odd sizes) times a constant B: row i of every batch is Σ_p A[…, i, p] · B[p, j].
    @Test(arguments: 0..<8)
    func matMulWithConstantB(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 50)
        let batch = Int.random(in: 1...3, using: &rng), m = Int.random(in: 1...29, using: &rng)
        let k = Int.random(in: 1...300, using: &rng), n = Int.random(in: 1...70, using: &rng)
        let a = randomFloats([batch, m, k], &rng), b = randomFloats([k, n], &rng)
        let (av, bv) = (a.floatValues, b.floatValues)
        var expected = [Float](repeating: 0, count: batch * m * n)
        for row in 0..<batch * m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += av[row * k + p] * bv[p * n + j] }
                expected[row * n + j] = sum
            }
        }
        for threads in [1, 2] {
            let y = try runPrepared("MatMul", [a, b], threads: threads)
            #expect(y.shape == [batch, m, n])
            #expect(close(y.floatValues, expected, tolerance: 1e-4), "\(batch)×\(m)×\(k)×\(n) threads \(threads)")
        }
    }

    /// Gemm and FusedGemm (Relu) with every transpose and a bias, prepared, equal the unprepared node.
    @Test(arguments: 0..<8)
    func gemmWithConstantB(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 90)
        let m = Int.random(in: 1...40, using: &rng), k = Int.random(in: 1...80, using: &rng)
        let n = Int.random(in: 1...50, using: &rng)
        let transA = seed & 1, transB = (seed >> 1) & 1
        let a = randomFloats(transA == 1 ? [k, m] : [m, k], &rng), b = randomFloats(transB == 1 ? [n, k] : [k, n], &rng)
        let c = randomFloats([n], &rng)
        let attributes: [String: Attribute] = ["transA": .int(Int64(transA)), "transB": .int(Int64(transB)), "alpha": .float(0.75),
                                               "beta": .float(seed & 4 == 0 ? 1 : 0.5)]
        let plain = try runNode("Gemm", inputs: [a, b, c], attributes: attributes, opset: 13)[0]
        let prepared = try runPrepared("Gemm", [a, b, c], attributes: attributes, threads: 2)
        #expect(prepared.shape == [m, n] && close(prepared.floatValues, plain.floatValues))
        var fusedAttributes = attributes
        fusedAttributes["activation"] = .string("Relu")
        let fused = try runPrepared("FusedGemm", domain: "com.microsoft", [a, b, c], attributes: fusedAttributes,
                                    threads: 1)
        #expect(close(fused.floatValues, plain.floatValues.map { max(0, $0) }))
    }

    /// A row-invariant C ([n], [1, n], [1]) goes into the GEMM's tiles: the bits of the same C written out as an
    /// [m, n] matrix, which is filled into y before the GEMM adds to it (K beyond one depth block included).
    @Test(arguments: 0..<6)
    func rowInvariantBiasInTilesGivesTheFilledBits(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 140)
        let m = Int.random(in: 1...40, using: &rng), k = [7, 64, 300][seed % 3], n = Int.random(in: 1...50, using: &rng)
        let a = randomFloats([m, k], &rng), b = randomFloats([n, k], &rng)
        let row = randomFloats(seed % 2 == 0 ? [n] : [1, n], &rng)
        let full = floats([m, n], (0..<m).flatMap { _ in row.floatValues })
        let attributes: [String: Attribute] = ["transB": .int(1), "alpha": .float(0.75), "beta": .float(seed < 3 ? 1 : 0.5)]
        for threads in [1, 2] {
            let tiled = try runPrepared("Gemm", [a, b, row], attributes: attributes, threads: threads)
            let filled = try runPrepared("Gemm", [a, b, full], attributes: attributes, threads: threads)
            #expect(tiled.floatValues.map(\.bitPattern) == filled.floatValues.map(\.bitPattern), "\(m)×\(k)×\(n)")
        }
    }

    /// A prepared MatMul still reports a mismatched A at run time.
    @Test func preparedMatMulRejectsWrongInnerSize() throws {
        var rng = SplitMix64(seed: 3)
        let b = randomFloats([4, 5], &rng)
        #expect(throws: RuntimeError.self) { try runPrepared("MatMul", [randomFloats([2, 3], &rng), b], threads: 1) }
    }
}
