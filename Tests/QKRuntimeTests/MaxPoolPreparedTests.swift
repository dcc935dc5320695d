import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// The prepared MaxPool (window and C loop resolved once per input shape) against the table kernel, which reads
/// the attributes and resolves the window on every run, bit for bit.
@Suite struct MaxPoolPreparedTests {
    private func node(_ attributes: [String: Attribute], outputs: Int = 1) -> Node {
        Node(name: "pool", opType: "MaxPool", inputs: ["x"], outputs: (0..<outputs).map { "y\($0)" },
             attributes: attributes)
    }

    private func prepared(_ node: Node) throws -> OpKernel {
        try #require(try OpTable.preparedKernel(for: node, opset: 13) { _ in nil })
    }

    private func randomTensor(_ shape: [Int], _ dtype: DType, _ rng: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        switch dtype {
        case .uint8: return Tensor(shape: shape, values: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case .int8: return Tensor(shape: shape, values: (0..<count).map { _ in Int8.random(in: -128...127, using: &rng) })
        default:
            return Tensor(shape: shape, values: (0..<count).map { _ -> Float in
                let k = Int.random(in: 0..<10, using: &rng)
                return k == 0 ? .nan : k == 1 ? -0.0 : Float(k - 5)
            })
        }
    }

    /// Same bytes (NaN payloads and signed zeros included) and shape.
    private func expectSame(_ a: Tensor, _ b: Tensor, _ what: String) {
        #expect(a.shape == b.shape && a.dtype == b.dtype, "\(what)")
        if let x = a.values(as: Float.self), let y = b.values(as: Float.self) {
            #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(what)")
        } else {
            #expect(a == b, "\(what)")
        }
    }

    /// 2×2 stride 2 and other windows (inside the input or padded, ceil mode) on u8, s8 and fp32, with two input
    /// shapes through one prepared kernel (the second run must not reuse the first shape's plan).
    @Test(arguments: 0..<12)
    func equalsTableKernel(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 977)
        let twoByTwo = seed % 2 == 0
        var attributes: [String: Attribute] = twoByTwo
            ? ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]
            : ["kernel_shape": .ints([Int64.random(in: 1...3, using: &rng), Int64.random(in: 1...3, using: &rng)]),
               "strides": .ints([Int64.random(in: 1...2, using: &rng), Int64.random(in: 1...2, using: &rng)])]
        if seed % 4 == 3 { attributes["pads"] = .ints([0, 1, 0, 0]) }
        if seed % 6 == 5 { attributes["ceil_mode"] = .int(1) }
        let maxPool = node(attributes)
        let kernel = try prepared(maxPool)
        let dtype: DType = [.uint8, .int8, .float32][seed % 3]
        for _ in 0..<2 {
            let shape = [Int.random(in: 1...4, using: &rng), Int.random(in: 1...9, using: &rng),
                         Int.random(in: 3...12, using: &rng), Int.random(in: 3...12, using: &rng)]
            let x = randomTensor(shape, dtype, &rng)
            for threads in [1, 2] {
                let context = KernelContext(node: maxPool, inputs: [x], opset: 13, threads: threads)
                let got = try kernel(context), expected = try OpTable.maxPoolKernel(context)
                #expect(got.count == 1)
                expectSame(got[0], expected[0], "\(attributes) \(shape) \(dtype)")
            }
        }
    }

    /// With the Indices output the prepared kernel returns both outputs, as the table kernel does.
    @Test func indicesOutput() throws {
        var rng = SplitMix64(seed: 5)
        let maxPool = node(["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])], outputs: 2)
        let x = randomTensor([2, 3, 6, 8], .float32, &rng)
        let context = KernelContext(node: maxPool, inputs: [x], opset: 13, threads: 1)
        let got = try prepared(maxPool)(context), expected = try OpTable.maxPoolKernel(context)
        #expect(got.count == 2 && expected.count == 2)
        expectSame(got[0], expected[0], "values")
        #expect(got[1] == expected[1])
    }

    /// A bad X is reported on every run (errors are never cached), then a good one runs.
    @Test func repeatsErrors() throws {
        let maxPool = node(["kernel_shape": .ints([2, 2])])
        let kernel = try prepared(maxPool)
        for _ in 0..<2 {
            let bad = KernelContext(node: maxPool, inputs: [floats([4, 4], Array(repeating: 1, count: 16))], opset: 13,
                                    threads: 1)
            #expect(throws: RuntimeError.self) { try kernel(bad) }
        }
        let good = KernelContext(node: maxPool, inputs: [floats([1, 1, 2, 2], [1, 4, 3, 2])], opset: 13, threads: 1)
        #expect(try kernel(good)[0].floatValues == [4])
    }
}
