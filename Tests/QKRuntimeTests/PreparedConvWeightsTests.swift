import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Conv and FusedConv whose W is a constant at load run on weights laid out once (``PreparedConvWeights``): the
/// same bytes as the table kernel on shapes that take the per-pixel, shifted and fused-GEMM paths, on 1 and 2
/// threads, and a run fed another W than the load-time constant still computes with the W it was given.
@Suite struct PreparedConvWeightsTests {
    private func randomFloats(_ shape: [Int], _ rng: inout SplitMix64) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    /// (batch, C, M, side): digits conv2 at batch 32 (per-pixel path), conv1 at batch 3 (shifted), conv2 at
    /// batch 1 (fused GEMM), an odd 5×5 plane with 40 channels at batch 9.
    @Test(arguments: [(32, 16, 32, 4), (3, 1, 16, 8), (1, 16, 32, 4), (9, 3, 40, 5)])
    func preparedWeightsMatchTableKernel(batch: Int, channels: Int, outChannels: Int, side: Int) throws {
        var rng = SplitMix64(seed: UInt64(batch * 1000 + outChannels))
        let w = randomFloats([outChannels, channels, 3, 3], &rng), bias = randomFloats([outChannels], &rng)
        let other = randomFloats([outChannels, channels, 3, 3], &rng)
        let x = randomFloats([batch, channels, side, side], &rng)
        for (op, domain, activation) in [("Conv", "", nil), ("FusedConv", "com.microsoft", "Relu")] {
            var attributes: [String: Attribute] = ["pads": .ints([1, 1, 1, 1])]
            if let activation { attributes["activation"] = .string(activation) }
            let node = Node(name: "n", opType: op, domain: domain, inputs: ["x", "w", "b"], outputs: ["y"],
                            attributes: attributes)
            let table = try #require(OpTable.kernel(opType: op, domain: domain))
            let prepared = try #require(try OpTable.preparedKernel(for: node, opset: 19) { $0 == "w" ? w : nil })
            for threads in [1, 2] {
                for weights in [w, other, w] {
                    let context = KernelContext(node: node, inputs: [x, weights, bias], opset: 19, threads: threads)
                    let expected = try table(context)[0], got = try prepared(context)[0]
                    #expect(got.shape == expected.shape)
                    #expect(got.values(as: Float.self)!.map(\.bitPattern)
                        == expected.values(as: Float.self)!.map(\.bitPattern), "\(op) \(x.shape) threads \(threads)")
                }
            }
        }
    }
}
