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

    /// Inputs of at most 16 positions per plane with channels in whole quads (the small-plane VNNI path: each
    /// image's panel permuted straight from its planes), 1-D/2-D/3-D with strides, dilations and padding, u8 and s8
    /// inputs and weights, weight zero points, batches split over two threads.
    @Test(arguments: Int8KernelPath.available) func smallPlanes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 55)
        for trial in 0..<16 {
            let channels = 4 * Int.random(in: 1...8, using: &rng), out = Int.random(in: 1...40, using: &rng)
            let batch = Int.random(in: 1...5, using: &rng), threads = trial % 2 + 1
            try ConvProblem<UInt8, Int8>(channels: channels, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...4).check(path: path, threads: threads)
            try ConvProblem<Int8, UInt8>(channels: channels, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...4).check(path: path, threads: threads)
            var oneDimensional = try ConvProblem<UInt8, Int8>(channels: channels, groups: 1, perGroupOut: out,
                                                              rng: &rng, batch: batch, spatial: 3...16)
            oneDimensional.wZero = [0]
            oneDimensional.check(path: path, threads: threads)
        }
    }

    /// The requantization through exact double scales (taken when every accumulator bound allows it) against the
    /// scalar `requantize`: multipliers that are powers of two (every odd accumulator a tie), per-tensor and per
    /// channel, Relu-like clamps, u8 and s8 outputs; and a weight range too wide for it, which must keep the 64-bit
    /// path and stay exact.
    @Test(arguments: Int8KernelPath.available) func exactScaleRequantization(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 56)
        for trial in 0..<8 {
            var problem = try ConvProblem<UInt8, Int8>(channels: 16, out: 32, side: 4, batch: 3, rng: &rng)
            problem.wZero = trial % 2 == 0 ? [0] : (0..<32).map { _ in Int32.random(in: -3...3, using: &rng) }
            let powers = [0.5, 0.25, 2.0 / 1024, 1.0 / 4096]
            let reals = (0..<(trial % 4 < 2 ? 1 : 32)).map { _ in powers.randomElement(using: &rng)! }
            let signed = trial % 3 == 0
            let zero = Int32.random(in: signed ? -128...127 : 0...255, using: &rng)
            var r = Int8Requantization(realMultipliers: reals, zeroPoint: zero, signed: signed)
            if trial % 2 == 1 { r = r.clamped(lower: zero, upper: nil) }
            // The last trial: one channel's bias past the bound (2⁵³ / 2³⁰), so the group keeps the 64-bit path.
            let bias = trial == 7 ? (0..<32).map { $0 == 5 ? 9_000_000 : Int32($0) } : problem.bias
            ConvProblem(problem, bias: bias, requantization: r).check(path: path, threads: trial % 2 + 1)
        }
    }

    /// The small-plane lane sources of the digits CNN's conv2 (4×4, 3×3, pad 1) from the ONNX definition: pixel
    /// (i, j) at tap (a, b) reads input (i − 1 + a, j − 1 + b), −1 outside; a 5×5 input (25 positions) has none.
    @Test func laneSourcesFollowTheWindow() throws {
        let geometry = try WindowGeometry(input: [4, 4], kernel: [3, 3], strides: nil, dilations: nil,
                                          pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        var expected: [Int32] = []
        for a in 0..<3 {
            for b in 0..<3 {
                for i in 0..<4 {
                    for j in 0..<4 {
                        let (h, w) = (i - 1 + a, j - 1 + b)
                        expected.append((0..<4).contains(h) && (0..<4).contains(w) ? Int32(h * 4 + w) : -1)
                    }
                }
            }
        }
        #expect(ConvRowPlan(geometry.promotedTo3D).laneSources == expected)
        let wide = try WindowGeometry(input: [5, 5], kernel: [3, 3], strides: [2, 2], dilations: nil,
                                      pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        #expect(ConvRowPlan(wide.promotedTo3D).laneSources.isEmpty)
    }

    /// Which channels take the double requantization: the bound |bias| + 255·Σ|w − zw| times the multiplier must
    /// stay below 2⁵³, and one channel past it sends the whole group to the 64-bit path.
    @Test func exactScalesNeedTheBound() {
        let r = Int8Requantization(multipliers: [1 << 30, 1 << 30], shifts: [0, 0], zeroPoint: 0, qmin: 0, qmax: 255)
        let small = ChannelConvEpilogue.exactScales(r, bounds: [1 << 22, 1 << 22])
        #expect(small?[0] == 0.5 && small?[1] == 0.5)
        small?.deallocate()
        #expect(ChannelConvEpilogue.exactScales(r, bounds: [1 << 22, 1 << 23]) == nil)
        let weights = ChannelConvWeights([Int8](repeating: -100, count: 6), channels: 2, k: 3, kernel: .vnni)
        // Channel 0: |−7| + 255·(3·100 + |0 − 0|); channel 1: 5 + 255·(3·102 + |0 − 2|) (the padding weight counts).
        let expected: [Int64] = [76_507, 78_545]
        let bounds = ChannelConvEpilogue.accumulatorBounds(weights, zeroPoints: [0, 2], bias: [0, -7, 5], first: 1)
        #expect(bounds == expected)
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

    /// The same problem with another bias and requantization.
    init(_ problem: ConvProblem, bias: [Int32]?, requantization: Int8Requantization) {
        shape = problem.shape
        x = problem.x
        w = problem.w
        xZero = problem.xZero
        wZero = problem.wZero
        self.bias = bias
        self.requantization = requantization
    }
}
