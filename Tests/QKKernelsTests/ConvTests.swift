import Testing
@testable import QKKernels

@Suite struct ConvTests {
    static func shape(batch: Int, channels: Int, outChannels: Int, groups: Int, spatial: [Int], kernel: [Int],
                      strides: [Int]? = nil, dilations: [Int]? = nil, pads: [Int]? = nil,
                      autoPad: AutoPad = .notSet) throws -> ConvShape {
        let geometry = try WindowGeometry(input: spatial, kernel: kernel, strides: strides, dilations: dilations,
                                          pads: pads, autoPad: autoPad)
        return ConvShape(batch: batch, inputChannels: channels, outputChannels: outChannels, groups: groups,
                         geometry: geometry)
    }

    /// ONNX's basic conv example: X = 0…24 (5×5), W = ones(3×3), pads 1 → sums of 3×3 neighbourhoods.
    @Test func basicConvWithPadding() throws {
        let s = try Self.shape(batch: 1, channels: 1, outChannels: 1, groups: 1, spatial: [5, 5], kernel: [3, 3],
                               pads: [1, 1, 1, 1])
        let x = (0..<25).map(Float.init), w = [Float](repeating: 1, count: 9)
        let expected: [Float] = [12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                 93, 144, 153, 162, 111, 72, 111, 117, 123, 84]
        #expect(conv(s, input: x, weights: w, bias: nil) == expected)
        #expect(convReference(s, input: x, weights: w, bias: nil) == expected)
    }

    /// Depthwise 1-D, stride 2, pads (1, 0), bias and ReLU, checked by hand:
    /// channel 0: x = [1, 2, 3, 4, 5], w = [1, −1]: taps at −1,0 | 1,2 | 3,4 → [−1, −1, −1] + 0.5 → relu → 0.
    /// channel 1: x = [1, 1, 2, 3, 5], w = [2, 1]: [1, 2·1+2, 2·3+5] = [1, 4, 11] − 1 → [0, 3, 10].
    @Test func depthwiseHandComputed() throws {
        let s = try Self.shape(batch: 1, channels: 2, outChannels: 2, groups: 2, spatial: [5], kernel: [2],
                               strides: [2], pads: [1, 0])
        #expect(s.geometry.output == [3])
        let x: [Float] = [1, 2, 3, 4, 5, 1, 1, 2, 3, 5], w: [Float] = [1, -1, 2, 1]
        let y = conv(s, input: x, weights: w, bias: [0.5, -1], activation: .relu)
        #expect(y == [0, 0, 0, 0, 3, 10])
    }

    /// Random 1-D/2-D/3-D convolutions (odd sizes, strides, dilations, asymmetric and auto pads, groups,
    /// depthwise, pointwise), with bias, sum and activation, on 1 and 2 threads, against the reference.
    @Test(arguments: 0..<40)
    func randomConvMatchesReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 77)
        let rank = [2, 1, 3, 2][seed % 4]
        let groups = [1, 2, 3, 1, 1][seed % 5]
        let depthwise = seed % 7 == 3, pointwise = seed % 9 == 4
        let channelsPerGroup = depthwise ? 1 : Int.random(in: 1...4, using: &rng)
        let outPerGroup = depthwise ? 1 : Int.random(in: 1...5, using: &rng)
        let channels = depthwise ? Int.random(in: 2...6, using: &rng) : channelsPerGroup * groups
        let g = depthwise ? channels : groups
        let outChannels = depthwise ? channels : outPerGroup * groups
        let spatial = (0..<rank).map { _ in Int.random(in: rank == 3 ? 3...7 : 4...13, using: &rng) }
        let kernel = pointwise ? Array(repeating: 1, count: rank) : (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let strides = pointwise ? nil : (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let dilations = pointwise ? nil : (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let autoPad = pointwise ? AutoPad.notSet : AutoPad.allCases[seed % 4]
        let pads = autoPad == .notSet && !pointwise ? (0..<2 * rank).map { _ in Int.random(in: 0...2, using: &rng) } : nil
        let s = try Self.shape(batch: Int.random(in: 1...3, using: &rng), channels: channels, outChannels: outChannels,
                               groups: g, spatial: spatial, kernel: kernel, strides: strides, dilations: dilations,
                               pads: pads, autoPad: autoPad)
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(outChannels) : nil
        let sum = seed % 3 == 0 ? rng.floats(s.outputCount) : nil
        let activation: Activation = [.identity, .relu, .leakyRelu(alpha: 0.1), .clip(min: -0.5, max: 0.5)][seed % 4]
        let expected = convReference(s, input: x, weights: w, bias: bias, sum: sum, activation: activation)
        for threads in [1, 2] {
            let got = conv(s, input: x, weights: w, bias: bias, sum: sum, activation: activation, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }
}
