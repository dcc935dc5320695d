import Testing
@testable import QKKernels

/// ``conv(_:input:prepared:bias:sum:activation:threads:)`` (weights laid out at load, tap tables cached per
/// geometry): the same bits as the unprepared call (its reference twin) on every path, on 1 and 2 threads, close to
/// the plain-loop ``convReference``, and a sample's output bytes independent of its position in the batch and of
/// the batch size.
@Suite struct ConvPreparedTests {
    /// A random convolution aimed at one path by `seed % 4`: the per-pixel path (≥ 8 images, ≥ 24 channels per
    /// group, small planes), the shifted path (unit strides, "same" rows, depth ≤ 32), the general fused GEMM, or
    /// a depthwise one. Odd sizes, strides, dilations, asymmetric pads and groups throughout; batches 1…40.
    static func randomShape(_ rng: inout SeededGenerator, seed: Int) throws -> ConvShape {
        switch seed % 4 {
        case 0:
            let rank = [2, 1, 2, 3][seed / 4 % 4]
            let groups = [1, 2, 1][seed % 3]
            let spatial = (0..<rank).map { _ in Int.random(in: rank == 3 ? 2...4 : 2...8, using: &rng) }
            let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
            let strides = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
            let dilations = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
            let pads = (0..<2 * rank).map { _ in Int.random(in: 0...2, using: &rng) }
            return try ConvTests.shape(batch: Int.random(in: 8...40, using: &rng),
                                       channels: Int.random(in: 1...16, using: &rng) * groups,
                                       outChannels: [24, 32, 40, 33][seed / 4 % 4] * groups, groups: groups,
                                       spatial: spatial, kernel: kernel, strides: strides, dilations: dilations,
                                       pads: pads)
        case 1:
            return try ConvShiftedTapsTests.randomShape(&rng, seed: seed)
        case 2:
            return try ConvFusedGemmTests.randomShape(&rng, seed: seed, outPerGroup: [2, 5, 8, 16, 17][seed / 4 % 5],
                                                      batches: 1...40)
        default:
            let channels = Int.random(in: 2...7, using: &rng)
            return try ConvTests.shape(batch: Int.random(in: 1...40, using: &rng), channels: channels,
                                       outChannels: channels, groups: channels,
                                       spatial: [Int.random(in: 2...9, using: &rng), Int.random(in: 2...9, using: &rng)],
                                       kernel: [3, 3], strides: [1, Int.random(in: 1...2, using: &rng)],
                                       pads: [1, 0, 1, 2])
        }
    }

    static func prepared(_ s: ConvShape, _ w: [Float]) -> PreparedConvWeights {
        PreparedConvWeights(weights: w, outputChannels: s.outputChannels, channelsPerGroup: s.inputChannelsPerGroup,
                            groups: s.groups, kernel: s.geometry.kernel)
    }

    /// The same shape with another batch size.
    static func rebatched(_ s: ConvShape, _ batch: Int) -> ConvShape {
        ConvShape(batch: batch, inputChannels: s.inputChannels, outputChannels: s.outputChannels, groups: s.groups,
                  geometry: s.geometry)
    }

    @Test(arguments: 0..<48)
    func preparedEqualsUnpreparedAndReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 4242)
        guard let s = try? Self.randomShape(&rng, seed: seed) else { return }
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(s.outputChannels) : nil
        let sum = seed % 5 == 4 ? rng.floats(s.outputCount) : nil
        let activation: Activation = [.relu, .identity, .clip(min: -0.25, max: 0.5), .leakyRelu(alpha: 0.1)][seed / 3 % 4]
        let weights = Self.prepared(s, w)
        let reference = convReference(s, input: x, weights: w, bias: bias, sum: sum, activation: activation)
        for threads in [1, 2] {
            let plain = conv(s, input: x, weights: w, bias: bias, sum: sum, activation: activation, threads: threads)
            // Twice: the second call reads the cached tap tables.
            for _ in 0..<2 {
                let got = conv(s, input: x, prepared: weights, bias: bias, sum: sum, activation: activation,
                               threads: threads)
                #expect(got.map(\.bitPattern) == plain.map(\.bitPattern), "\(s) threads \(threads)")
            }
            #expect(maxRelativeError(plain, reference) < 1e-4, "\(s) threads \(threads)")
        }
    }

    /// A batch of B, each of its images alone, and its last B − k images as one batch give the same bytes per
    /// image (prepared and unprepared, 1 and 2 threads): no path's sums depend on the batch around a sample.
    @Test(arguments: 0..<32)
    func sampleBytesIndependentOfBatchPosition(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 777)
        guard let s = try? Self.randomShape(&rng, seed: seed), s.batch > 1 else { return }
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(s.outputChannels) : nil
        let activation: Activation = [.relu, .identity, .clip(min: -0.25, max: 0.5)][seed / 3 % 3]
        let weights = Self.prepared(s, w)
        let inImage = s.inputCount / s.batch, outImage = s.outputCount / s.batch
        let k = Int.random(in: 1..<s.batch, using: &rng)
        for threads in [1, 2] {
            func run(_ shape: ConvShape, _ input: ArraySlice<Float>, prepared: Bool) -> [UInt32] {
                let y = prepared
                    ? conv(shape, input: Array(input), prepared: weights, bias: bias, activation: activation,
                           threads: threads)
                    : conv(shape, input: Array(input), weights: w, bias: bias, activation: activation, threads: threads)
                return y.map(\.bitPattern)
            }
            for prepared in [false, true] {
                let whole = run(s, x[...], prepared: prepared)
                let tail = run(Self.rebatched(s, s.batch - k), x[(k * inImage)...], prepared: prepared)
                #expect(Array(whole[(k * outImage)...]) == tail, "\(s) last \(s.batch - k) threads \(threads)")
                for image in [0, k, s.batch - 1] {
                    let alone = run(Self.rebatched(s, 1), x[(image * inImage)..<((image + 1) * inImage)],
                                    prepared: prepared)
                    #expect(Array(whole[(image * outImage)..<((image + 1) * outImage)]) == alone,
                            "\(s) image \(image) threads \(threads) prepared \(prepared)")
                }
            }
        }
    }

    /// The digits CNN's convolutions at batch 1 and 32 (the shapes the layouts were made for) against the reference.
    @Test(arguments: [(1, 1, 16, 8), (32, 1, 16, 8), (1, 16, 32, 4), (32, 16, 32, 4)])
    func digitsShapes(batch: Int, channels: Int, outChannels: Int, side: Int) throws {
        var rng = SeededGenerator(seed: UInt64(batch * 100 + channels))
        let s = try ConvTests.shape(batch: batch, channels: channels, outChannels: outChannels, groups: 1,
                                    spatial: [side, side], kernel: [3, 3], pads: [1, 1, 1, 1])
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount), bias = rng.floats(outChannels)
        let got = conv(s, input: x, prepared: Self.prepared(s, w), bias: bias, activation: .relu, threads: 2)
        let reference = convReference(s, input: x, weights: w, bias: bias, activation: .relu)
        #expect(maxRelativeError(got, reference) < 1e-4)
    }
}
