import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct BufferPoolTests {
    @Test func handsBackAFreedArrayOfTheDtypeAndCountAKernelAskedFor() {
        let pool = BufferPool(minimumBytes: 1024)
        #expect(pool.take(Float.self, count: 300) == nil)  // a kernel asks: arrays of this kind are kept from now on
        pool.recycle(.float32([Float](repeating: 1, count: 300)))
        #expect(pool.take(Float.self, count: 299) == nil)
        #expect(pool.take(Int32.self, count: 300) == nil)
        #expect(pool.take(Float.self, count: 300) == [Float](repeating: 1, count: 300))
        #expect(pool.take(Float.self, count: 300) == nil)
        #expect(pool.reuses == 1)
    }

    @Test func neverHandsOutAnArraySomeoneStillHolds() {
        let pool = BufferPool(minimumBytes: 1024)
        _ = pool.take(UInt8.self, count: 1024)
        let held = Tensor(shape: [1024], values: [UInt8](repeating: 7, count: 1024))
        pool.recycle(held.storage)
        #expect(pool.count == 1)
        #expect(pool.take(UInt8.self, count: 1024) == nil)
        #expect(held.values(as: UInt8.self)!.allSatisfy { $0 == 7 })
    }

    @Test func keepsOnlySmallNumbersOfLargeArraysThatKernelsAskFor() {
        let pool = BufferPool(kinds: 2, minimumBytes: 1024)
        pool.recycle(.int8([Int8](repeating: 0, count: 2048)))  // nobody asked: back to the allocator
        #expect(pool.count == 0)
        _ = pool.take(Float.self, count: 8)
        pool.recycle(.float32([Float](repeating: 0, count: 8)))  // 32 bytes: never pooled
        #expect(pool.count == 0)
        _ = pool.take(Int8.self, count: 2048)
        for _ in 0..<3 { pool.recycle(.int8([Int8](repeating: 0, count: 2048))) }
        #expect(pool.count == 1)  // one request so far: one array kept
        pool.endRun()
        _ = pool.take(Int32.self, count: 512)
        _ = pool.take(UInt8.self, count: 4096)  // a third kind: the pool starts over
        pool.recycle(.int8([Int8](repeating: 0, count: 2048)))
        #expect(pool.count == 0)
    }
}

/// fp32 MatMul + bias (fused to MatMulAdd) → Relu → MatMul, outputs of 1 KiB and more so the pool keeps them,
/// and a second output read from the middle of the chain.
private func floatChainModel() -> Model {
    var rng = SplitMix64(seed: 11)
    func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }
    let graph = Graph(
        nodes: [
            Node(name: "mm1", opType: "MatMul", inputs: ["x", "w1"], outputs: ["h"]),
            Node(name: "bias", opType: "Add", inputs: ["h", "b1"], outputs: ["hb"]),
            Node(name: "relu", opType: "Relu", inputs: ["hb"], outputs: ["r"]),
            Node(name: "mm2", opType: "MatMul", inputs: ["r", "w2"], outputs: ["y"]),
            Node(name: "mm3", opType: "MatMul", inputs: ["y", "w2"], outputs: ["z"]),
        ],
        inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("batch"), .known(64)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil), ValueInfo(name: "z", dtype: .float32, shape: nil)],
        initializers: ["w1": random([64, 64]), "b1": random([64]), "w2": random([64, 64])])
    return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
}

/// Q/DQ Conv (integer execution) → Relu → Q/DQ → Q/DQ Gemm over the flattened image, uint8 outputs of 4 KiB.
private func integerModel() -> (Model, QDQModelBuilder) {
    var b = QDQModelBuilder()
    let sx: Float = 2 / 255, sy: Float = 0.05
    let x = b.quantizeDequantize("x", scale: sx, zero: UInt8(128))
    let w = b.weights([8, 4, 3, 3], channels: 8, axis: 0)
    let bias = b.bias(8, xScale: sx, wScales: w.scales)
    let conv = b.add("Conv", [x.dq, w.dq, bias], attributes: ["pads": .ints([1, 1, 1, 1])], name: "conv")
    let y = b.quantizeDequantize(b.add("Relu", [conv], name: "relu"), scale: sy, zero: UInt8(0))
    let flat = b.add("Flatten", [y.dq], name: "flatten")
    let w2 = b.weights([8 * 16 * 16, 32], channels: 32, axis: 1)
    let bias2 = b.bias(32, xScale: sy, wScales: w2.scales)
    let g = b.add("Gemm", [flat, w2.dq, bias2], name: "gemm")
    let out = b.quantizeDequantize(g, scale: 0.1, zero: UInt8(128))
    return (b.model(input: [2, 4, 16, 16], outputs: [out.dq, y.dq]), b)
}

/// Runs `model` on `first`, `second`, `first` with one interpreter (so later runs take arrays freed by earlier
/// ones) and compares every result with a new interpreter's, bit for bit; results handed out earlier must not
/// change. Returns the interpreter.
@discardableResult
private func expectReuseInvisible(_ model: Model, _ first: [String: Tensor], _ second: [String: Tensor],
                                  observe: Bool = false) throws -> Interpreter {
    let reused = try Interpreter(model: model, threads: 2)
    reused.idlePool = BufferPool(minimumBytes: 1024)
    reused.slicePools.minimumBytes = 1024  // batch-sliced runs take their arrays from these
    var kept: [Tensor] = []
    let hook: ((String, Tensor) -> Void)? = observe ? { _, value in kept.append(value) } : nil
    let a1 = try reused.run(first, observe: hook)
    let a1Bytes = a1.mapValues(\.littleEndianBytes), snapshot = kept.map(\.littleEndianBytes)
    let b = try reused.run(second, observe: hook)
    let a2 = try reused.run(first, observe: hook)
    #expect(a1 == (try Interpreter(model: model, threads: 2).run(first)))
    #expect(b == (try Interpreter(model: model, threads: 2).run(second)))
    #expect(a2 == a1)
    #expect(a1.mapValues(\.littleEndianBytes) == a1Bytes)
    #expect(kept.prefix(snapshot.count).map(\.littleEndianBytes) == snapshot)
    return reused
}

@Suite struct OutputReuseTests {
    @Test(arguments: [false, true])
    func floatChainIsBitIdenticalWithReusedBuffers(observe: Bool) throws {
        var rng = SplitMix64(seed: 3)
        func feed() -> [String: Tensor] {
            ["x": Tensor(shape: [8, 64], values: (0..<512).map { _ in Float.random(in: -1...1, using: &rng) })]
        }
        let interpreter = try expectReuseInvisible(floatChainModel(), feed(), feed(), observe: observe)
        #expect(observe || (interpreter.idlePool?.reuses ?? 0) + interpreter.slicePools.reuses > 0)
    }

    @Test(arguments: [false, true])
    func integerModelIsBitIdenticalWithReusedBuffers(observe: Bool) throws {
        var (model, builder) = integerModel()
        let first = ["x": builder.input([2, 4, 16, 16])], second = ["x": builder.input([2, 4, 16, 16])]
        let interpreter = try expectReuseInvisible(model, first, second, observe: observe)
        #expect(observe || (interpreter.idlePool?.reuses ?? 0) + interpreter.slicePools.reuses > 0)
    }
}
