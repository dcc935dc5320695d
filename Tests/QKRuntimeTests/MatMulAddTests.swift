import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// The fused MatMulAdd (y = x · B + bias, B and bias constant) against the same model run unfused (MatMul then
/// Add, the Interpreter's `observe` plan) on seeded shapes.
@Suite struct MatMulAddTests {
    /// x → MatMul(x, W) → Add(bias) → y with seeded W [k, n] and bias of `biasShape` (last axis n).
    private func model(k: Int, n: Int, biasShape: [Int], biasFirst: Bool, rng: inout SplitMix64) -> Model {
        func random(_ shape: [Int]) -> Tensor {
            floats(shape, (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        let graph = Graph(
            nodes: [
                Node(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["m"]),
                Node(name: "add", opType: "Add", inputs: biasFirst ? ["b", "m"] : ["m", "b"], outputs: ["y"]),
            ],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: nil)],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
            initializers: ["W": random([k, n]), "b": random(biasShape)])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 13)])
    }

    /// Rank 2, 3 and 4 inputs, odd K and N (K past one 256-deep GEMM block in some), bias [N] or [1, …, N] in
    /// either Add position and with a higher rank than x: same shape and values as unfused within 1e-5.
    @Test(arguments: 0..<12)
    func fusedEqualsUnfused(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 700)
        let rank = 2 + seed % 3
        let k = [1, 7, 33, 257, 300, 129][seed % 6], n = Int.random(in: 1...71, using: &rng) | 1
        let biasRank = Int.random(in: 1...(rank + 1), using: &rng)
        let biasShape = Array(repeating: 1, count: biasRank - 1) + [n]
        let built = model(k: k, n: n, biasShape: biasShape, biasFirst: seed % 2 == 1, rng: &rng)
        let xShape = (0..<rank - 1).map { _ in Int.random(in: 1...9, using: &rng) } + [k]
        let x = floats(xShape, (0..<xShape.reduce(1, *)).map { _ in Float.random(in: -2...2, using: &rng) })
        for threads in [1, 3] {
            let interpreter = try Interpreter(model: built, threads: threads)
            #expect(interpreter.executedGraph.nodes.map(\.opType) == ["MatMulAdd"])
            let fused = try #require(try interpreter.run(["x": x])["y"])
            let unfused = try #require(try interpreter.run(["x": x], observe: { _, _ in })["y"])
            #expect(fused.shape == unfused.shape, "x \(xShape) bias \(biasShape)")
            #expect(close(fused.floatValues, unfused.floatValues, tolerance: 1e-5), "x \(xShape) k \(k) n \(n)")
        }
    }

    /// The table kernel (B not packed) and the prepared kernel (B packed at load) give the same bytes.
    @Test func tableKernelEqualsPrepared() throws {
        var rng = SplitMix64(seed: 9)
        let x = floats([2, 5, 300], (0..<3000).map { _ in Float.random(in: -1...1, using: &rng) })
        let w = floats([300, 13], (0..<3900).map { _ in Float.random(in: -1...1, using: &rng) })
        let b = floats([13], (0..<13).map { _ in Float.random(in: -1...1, using: &rng) })
        let node = Node(name: "mm", opType: "MatMulAdd", domain: "ai.quantkit", inputs: ["x", "W", "b"], outputs: ["y"])
        let table = try #require(OpTable.kernel(opType: "MatMulAdd", domain: "ai.quantkit"))
        let prepared = try #require(try OpTable.preparedKernel(for: node, opset: 1) { ["W": w, "b": b][$0] })
        let context = KernelContext(node: node, inputs: [x, w, b], opset: 1, threads: 1)
        let y = try prepared(context)[0]
        #expect(y.shape == [2, 5, 13])
        #expect(try table(context)[0] == y)
    }

    @Test func mismatchedBiasIsReported() throws {
        let node = Node(name: "mm", opType: "MatMulAdd", domain: "ai.quantkit", inputs: ["x", "W", "b"], outputs: ["y"])
        let table = try #require(OpTable.kernel(opType: "MatMulAdd", domain: "ai.quantkit"))
        let context = KernelContext(node: node, inputs: [floats([2, 3], [1, 2, 3, 4, 5, 6]), floats([3, 2], [1, 0, 0, 1, 1, 1]),
                                                         floats([3], [1, 2, 3])], opset: 1, threads: 1)
        #expect(throws: RuntimeError.self) { try table(context) }
    }
}
