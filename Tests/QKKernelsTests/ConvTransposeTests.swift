import Testing
@testable import QKKernels

@Suite struct ConvTransposeTests {
    /// ONNX's ConvTranspose example: X = 0…8 (3×3), W = ones (1×2×3×3) → 5×5 per output channel.
    @Test func onnxExample() throws {
        let g = try ConvTransposeShape.geometry(xSpatial: [3, 3], kernel: [3, 3], strides: nil, dilations: nil, pads: nil,
                                                autoPad: .notSet, outputPadding: nil, outputShape: nil)
        #expect(g.input == [5, 5])
        let s = ConvTransposeShape(batch: 1, inputChannels: 1, outputChannels: 2, groups: 1, geometry: g)
        let plane: [Float] = [0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8]
        let x = (0..<9).map(Float.init), w = [Float](repeating: 1, count: 18)
        #expect(convTranspose(s, input: x, weights: w, bias: nil) == plane + plane)
        #expect(convTransposeReference(s, input: x, weights: w, bias: nil) == plane + plane)
    }

    @Test func outputSizeRules() throws {
        // strides 3×2, output_padding 1: 3·2 + 1 + 3 = 10 and 2·2 + 1 + 3 = 8.
        let padded = try ConvTransposeShape.geometry(xSpatial: [3, 3], kernel: [3, 3], strides: [3, 2], dilations: nil,
                                                     pads: nil, autoPad: .notSet, outputPadding: [1, 1], outputShape: nil)
        #expect(padded.input == [10, 8])
        // SAME_UPPER, stride 2: out = 6, total padding 2·2 + 3 − 6 = 1 → begin 0, end 1.
        let same = try ConvTransposeShape.geometry(xSpatial: [3, 3], kernel: [3, 3], strides: [2, 2], dilations: nil,
                                                   pads: nil, autoPad: .sameUpper, outputPadding: nil, outputShape: nil)
        #expect(same.input == [6, 6] && same.padsBegin == [0, 0] && same.padsEnd == [1, 1])
        // Explicit pads (1, 2, 1, 2), strides 3×2: 9 − 2 = 7 and 7 − 4 = 3.
        let pads = try ConvTransposeShape.geometry(xSpatial: [3, 3], kernel: [3, 3], strides: [3, 2], dilations: nil,
                                                   pads: [1, 2, 1, 2], autoPad: .notSet, outputPadding: nil, outputShape: nil)
        #expect(pads.input == [7, 3])
        #expect(throws: WindowGeometryError.self) {
            try ConvTransposeShape.geometry(xSpatial: [3], kernel: [3, 3], strides: nil, dilations: nil, pads: nil,
                                            autoPad: .notSet, outputPadding: nil, outputShape: nil)
        }
    }

    /// The transposed convolution is the adjoint of the convolution with the same window:
    /// ⟨conv(x), y⟩ = ⟨x, convTranspose(y)⟩ — checks both references against each other independently.
    @Test(arguments: 0..<10)
    func referenceIsAdjointOfConv(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 500)
        let rank = seed % 3 + 1, groups = seed % 2 + 1
        let spatial = (0..<rank).map { _ in Int.random(in: 4...8, using: &rng) }
        let geometry = try WindowGeometry(input: spatial, kernel: (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) },
                                          strides: (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) },
                                          dilations: (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) },
                                          pads: (0..<2 * rank).map { _ in Int.random(in: 0...1, using: &rng) },
                                          autoPad: .notSet)
        let c = 2 * groups, m = 3 * groups
        let forward = ConvShape(batch: 2, inputChannels: c, outputChannels: m, groups: groups, geometry: geometry)
        let adjoint = ConvTransposeShape(batch: 2, inputChannels: m, outputChannels: c, groups: groups, geometry: geometry)
        let x = rng.floats(forward.inputCount), y = rng.floats(forward.outputCount)
        // Conv weights [m, c/g, k]; the adjoint needs [m, c/g, k] read as ConvTranspose's [C_in = m, M/g = c/g, k].
        let w = rng.floats(forward.weightCount)
        let lhs = zip(convReference(forward, input: x, weights: w, bias: nil), y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x, convTransposeReference(adjoint, input: y, weights: w, bias: nil)).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)))
    }

    /// Random transposed convolutions (1-D to 3-D, groups, strides, dilations, pads, output padding), 1 and 2
    /// threads, against the reference.
    @Test(arguments: 0..<24)
    func randomMatchesReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 900)
        let rank = [2, 1, 3][seed % 3], groups = [1, 2, 1, 3][seed % 4]
        let cg = Int.random(in: 1...3, using: &rng), mg = Int.random(in: 1...3, using: &rng)
        let strides = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let g = try ConvTransposeShape.geometry(
            xSpatial: (0..<rank).map { _ in Int.random(in: 2...6, using: &rng) },
            kernel: (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }, strides: strides,
            dilations: (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) },
            pads: (0..<2 * rank).map { _ in Int.random(in: 0...1, using: &rng) },
            autoPad: [.notSet, .sameUpper, .sameLower, .notSet][seed % 4],
            outputPadding: strides.map { Int.random(in: 0..<$0, using: &rng) }, outputShape: nil)
        let s = ConvTransposeShape(batch: Int.random(in: 1...3, using: &rng), inputChannels: cg * groups,
                                   outputChannels: mg * groups, groups: groups, geometry: g)
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(s.outputChannels) : nil
        let expected = convTransposeReference(s, input: x, weights: w, bias: bias)
        for threads in [1, 2] {
            let got = convTranspose(s, input: x, weights: w, bias: bias, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }
}
