import Testing
@testable import QKKernels

/// The channel-major int8 Conv kernels (pixel panels of 16 on `avx512vnni`, 8 on the AVX2 paths; the epilogue
/// stores each channel's pixels straight into the output planes) against ``int8ConvReference``, bit for bit, on
/// every path this CPU has: the digits CNN's two convolutions at several batch sizes, panels that cross image
/// boundaries, and random shapes with strides, dilations, padding and groups.
@Suite struct Int8ChannelConvTests {
    /// Every path packs the channel-major weights except `portable` (which keeps the pixel-row GEMM).
    @Test(arguments: Int8KernelPath.available) func pathsPackChannelWeights(path: Int8KernelPath) throws {
        let geometry = try WindowGeometry(input: [8, 8], kernel: [3, 3], strides: nil, dilations: nil,
                                          pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        let shape = ConvShape(batch: 1, inputChannels: 1, outputChannels: 16, groups: 1, geometry: geometry)
        let packed = PackedInt8ConvWeights([Int8](repeating: 1, count: 144), shape: shape, zeroPoints: [0], path: path)
        #expect(packed.channelWeights.isEmpty == (path == .portable))
    }

    /// conv1 (1 → 16, 8×8, pad 1) and conv2 (16 → 32, 4×4, pad 1) of the digits CNN, u8 activations with a
    /// zero point, s8 per-channel weights, batch 1 to 33, one and two threads.
    @Test(arguments: Int8KernelPath.available) func digitsShapes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 51)
        for (batch, threads) in [(1, 1), (2, 2), (32, 1), (33, 2)] {
            for (channels, out, side) in [(1, 16, 8), (16, 32, 4)] {
                var problem = try ConvProblem<UInt8, Int8>(channels: channels, out: out, side: side, batch: batch,
                                                           rng: &rng)
                problem.check(path: path, threads: threads)
                problem.wZero = [0]  // symmetric weights, as the quantizer writes them (no pixel-sum correction)
                problem.check(path: path, threads: threads)
            }
        }
    }

    /// Images whose pixel count is not a multiple of the panel width (panels cross image boundaries), s8 and u8
    /// inputs and weights, weight zero points, odd channel counts (channel blocks of 16, 8, 4 and 1).
    @Test(arguments: Int8KernelPath.available) func panelsCrossImages(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 52)
        for trial in 0..<8 {
            let side = Int.random(in: 2...7, using: &rng), out = Int.random(in: 1...29, using: &rng)
            let channels = Int.random(in: 1...6, using: &rng), batch = Int.random(in: 2...6, using: &rng)
            try ConvProblem<UInt8, UInt8>(channels: channels, out: out, side: side, batch: batch, rng: &rng)
                .check(path: path, threads: trial % 2 + 1)
            try ConvProblem<Int8, Int8>(channels: channels, out: out, side: side, batch: batch, rng: &rng)
                .check(path: path, threads: trial % 2 + 1)
        }
    }

    /// Weights packed once and run with changing biases, input zero points and requantizations (the epilogue
    /// constants are cached per weights and must follow every change), back and forth.
    @Test(arguments: Int8KernelPath.available) func epilogueFollowsEachCall(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 54)
        let problem = try ConvProblem<UInt8, Int8>(channels: 16, out: 32, side: 4, batch: 3, rng: &rng)
        let packed = PackedInt8ConvWeights(problem.w, shape: problem.shape, zeroPoints: problem.wZero, path: path)
        let settings = (0..<2).map { _ in
            (bias: (0..<32).map { _ in Int32.random(in: -9_000...9_000, using: &rng) },
             zero: Int32.random(in: 0...255, using: &rng),
             requantization: Int8Requantization(realMultipliers: [Double.random(in: 1e-4...3e-3, using: &rng)],
                                                zeroPoint: Int32.random(in: 0...255, using: &rng), signed: false))
        }
        for setting in [settings[0], settings[1], settings[0]] {
            let expected = problem.x.withUnsafeBufferPointer { x in
                problem.w.withUnsafeBufferPointer { w in
                    int8ConvReference(problem.shape, input: x, inputZeroPoint: setting.zero, weights: w,
                                      weightZeroPoints: problem.wZero, bias: setting.bias)
                }
            }
            let r = setting.requantization
            let wanted = expected.map {
                UInt8(requantize(acc: $0, multiplier: r.multipliers[0], shift: Int(r.shifts[0]), zeroPoint: r.zeroPoint,
                                 qmin: r.qmin, qmax: r.qmax))
            }
            var y = [UInt8](repeating: 0, count: problem.shape.outputCount)
            y.withUnsafeMutableBufferPointer { out in
                int8Conv(problem.shape, input: problem.x, inputZeroPoint: setting.zero, weights: packed,
                         bias: setting.bias, output: .uint8(out.baseAddress!, r))
            }
            #expect(y == wanted, "\(path) zero point \(setting.zero)")
        }
    }

    /// Random 1-D/2-D/3-D shapes with strides, dilations, asymmetric padding and groups, several images.
    @Test(arguments: Int8KernelPath.available) func randomShapes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 53)
        for trial in 0..<12 {
            let groups = [1, 2, 3].randomElement(using: &rng)!
            try ConvProblem<UInt8, Int8>(channels: groups * Int.random(in: 1...4, using: &rng), groups: groups,
                                         perGroupOut: Int.random(in: 1...20, using: &rng), rng: &rng,
                                         batch: Int.random(in: 1...5, using: &rng), spatial: 2...12)
                .check(path: path, threads: trial % 2 + 1)
        }
    }
}

extension ConvProblem {
    /// A square 3×3 convolution with padding 1 on side × side images (the digits CNN's kind).
    init(channels: Int, out: Int, side: Int, batch: Int, rng: inout SeededGenerator) throws {
        let geometry = try WindowGeometry(input: [side, side], kernel: [3, 3], strides: nil, dilations: nil,
                                          pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        self.init(shape: ConvShape(batch: batch, inputChannels: channels, outputChannels: out, groups: 1,
                                   geometry: geometry), rng: &rng)
    }
}
