import Testing
@testable import QKKernels

/// Batched small-plane convolutions, whose im2col writes straight into the GEMM's packed panels
/// (``ColumnLayout``), against the plain-loop reference: output planes that divide the panel width (1…32) and
/// ones that do not, odd batches (a partly filled last panel), groups, pointwise kernels, bias and activations.
@Suite struct ConvPackedColumnsTests {
    @Test(arguments: 0..<24)
    func batchedSmallPlanesMatchReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 4400)
        let side = [1, 2, 4, 3, 5, 8][seed % 6]
        let pointwise = seed % 4 == 3
        let groups = seed % 5 == 1 ? 2 : 1
        let channels = groups * Int.random(in: 1...9, using: &rng)
        let outChannels = groups * Int.random(in: 1...13, using: &rng)
        let batch = Int.random(in: 2...37, using: &rng)
        let kernel = pointwise ? [1, 1] : [3, 3]
        let s = try ConvTests.shape(batch: batch, channels: channels, outChannels: outChannels, groups: groups,
                                    spatial: [side, side], kernel: kernel, pads: pointwise ? nil : [1, 1, 1, 1])
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(outChannels) : nil
        let activation: Activation = [.identity, .relu, .leakyRelu(alpha: 0.1)][seed % 3]
        let expected = convReference(s, input: x, weights: w, bias: bias, activation: activation)
        for threads in [1, 2] {
            let got = conv(s, input: x, weights: w, bias: bias, activation: activation, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }

    @Test func layoutPacksOnlyWhenImagesStayInsidePanels() {
        let wide = GemmMicroKernel.best
        #expect(ColumnLayout(rows: 9, width: 512, plane: 16, kernel: wide).isPacked == (wide.nr % 16 == 0))
        #expect(!ColumnLayout(rows: 9, width: 5 * 24, plane: 24, kernel: wide).isPacked)
        #expect(!ColumnLayout(rows: wide.kc + 1, width: 64, plane: 4, kernel: wide).isPacked)
    }
}
