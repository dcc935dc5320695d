import Testing
@testable import QKKernels

/// The fast int8 Conv (im2col + GEMM on every path, and the direct depthwise kernel) against ``int8ConvReference``
/// (+ scalar requantize), bit for bit, on random seeded shapes.
@Suite struct Int8FastConvTests {
    @Test(arguments: Int8KernelPath.available) func randomU8S8(path: Int8KernelPath) throws {
        try sweep(UInt8.self, Int8.self, path, seed: 31)
    }

    @Test(arguments: Int8KernelPath.available) func randomS8S8(path: Int8KernelPath) throws {
        try sweep(Int8.self, Int8.self, path, seed: 32)
    }

    @Test(arguments: Int8KernelPath.available) func randomU8U8(path: Int8KernelPath) throws {
        try sweep(UInt8.self, UInt8.self, path, seed: 33)
    }

    /// Depthwise shapes (groups = C = M) with strides, dilations and padding, per-channel zero points.
    @Test func depthwiseMatchesReference() throws {
        var rng = SeededGenerator(seed: 34)
        for trial in 0..<20 {
            let channels = Int.random(in: 1...9, using: &rng)
            let problem = try ConvProblem<UInt8, Int8>(channels: channels, groups: channels, perGroupOut: 1,
                                                       rng: &rng)
            #expect(PackedInt8ConvWeights(problem.w, shape: problem.shape, zeroPoints: problem.wZero).isDepthwise)
            problem.check(path: .best, threads: trial % 2 + 1)
            let signed = try ConvProblem<Int8, UInt8>(channels: channels, groups: channels, perGroupOut: 1, rng: &rng)
            signed.check(path: .best, threads: 1)
        }
    }

    /// 1×1 convolutions (u8 reads X directly, s8 goes through the shifted copy), grouped and not.
    @Test(arguments: Int8KernelPath.available) func pointwise(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 36)
        for trial in 0..<8 {
            let groups = trial % 2 + 1
            let channels = groups * Int.random(in: 1...6, using: &rng)
            let out = Int.random(in: 1...40, using: &rng)
            try ConvProblem<UInt8, Int8>(channels: channels, groups: groups, perGroupOut: out, rng: &rng,
                                         pointwise: true).check(path: path, threads: 1)
            try ConvProblem<Int8, Int8>(channels: channels, groups: groups, perGroupOut: out, rng: &rng,
                                        pointwise: true).check(path: path, threads: 1)
        }
    }

    /// Batches of small images share one GEMM (rows = images × pixels, tiles crossing image boundaries, a short last
    /// block).
    @Test(arguments: Int8KernelPath.available) func batchedImages(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 37)
        for _ in 0..<6 {
            try ConvProblem<UInt8, Int8>(channels: 3, groups: 1, perGroupOut: 5, rng: &rng, batch: 7, spatial: 6...13)
                .check(path: path, threads: 1)
        }
    }

    /// Channels per group in whole quads (the packer's 4-byte copies), several images, one and two threads, u8 and
    /// s8 inputs.
    @Test(arguments: Int8KernelPath.available) func channelQuads(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 38)
        for trial in 0..<6 {
            let groups = trial % 3 == 2 ? 2 : 1, batch = Int.random(in: 1...5, using: &rng)
            let channels = groups * 4 * Int.random(in: 1...4, using: &rng), out = Int.random(in: 1...40, using: &rng)
            try ConvProblem<UInt8, Int8>(channels: channels, groups: groups, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 3...8).check(path: path, threads: trial % 2 + 1)
            try ConvProblem<Int8, Int8>(channels: channels, groups: groups, perGroupOut: out, rng: &rng, batch: batch,
                                        spatial: 3...8).check(path: path, threads: trial % 2 + 1)
        }
    }

    /// One input channel (the packer's consecutive-pixel blocks where a panel's pixels read adjacent bytes, the
    /// per-pixel words elsewhere), wide planes, several images.
    @Test(arguments: Int8KernelPath.available) func singleChannel(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 39)
        for _ in 0..<12 {
            let batch = Int.random(in: 1...3, using: &rng), out = Int.random(in: 1...20, using: &rng)
            try ConvProblem<UInt8, Int8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 6...20).check(path: path, threads: 1)
            try ConvProblem<Int8, UInt8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 6...20).check(path: path, threads: 1)
        }
    }

    /// Batches and groups split over two threads, and a single image whose GEMM is split instead.
    @Test(arguments: Int8KernelPath.available) func twoThreads(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 35)
        for _ in 0..<4 {
            let problem = try ConvProblem<UInt8, Int8>(channels: 8, groups: 2, perGroupOut: 12, rng: &rng,
                                                       batch: Int.random(in: 1...3, using: &rng), spatial: 10...18)
            problem.check(path: path, threads: 2)
        }
    }

    private func sweep<X: FixedWidthInteger, W: FixedWidthInteger>(_: X.Type, _: W.Type, _ path: Int8KernelPath,
                                                                  seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<25 {
            let groups = [1, 1, 2, 3].randomElement(using: &rng)!
            let problem = try ConvProblem<X, W>(channels: groups * Int.random(in: 1...5, using: &rng), groups: groups,
                                                perGroupOut: Int.random(in: 1...9, using: &rng), rng: &rng)
            problem.check(path: path, threads: 1)
        }
    }
}

/// One random convolution (1-D, 2-D or 3-D; strides, dilations, asymmetric pads) with its reference result.
struct ConvProblem<X: FixedWidthInteger, W: FixedWidthInteger> {
    let shape: ConvShape
    let x: [X], w: [W]
    let xZero: Int32
    var wZero: [Int32]
    let bias: [Int32]?
    var requantization: Int8Requantization

    /// `pointwise`: a 1×1 kernel with unit strides and no padding (the u8 path that skips im2col).
    init(channels: Int, groups: Int, perGroupOut: Int, rng: inout SeededGenerator, batch: Int? = nil,
         spatial: ClosedRange<Int> = 1...9, pointwise: Bool = false) throws {
        let rank = [1, 2, 2, 2, 3].randomElement(using: &rng)!
        let kernel = (0..<rank).map { _ in pointwise ? 1 : Int.random(in: 1...3, using: &rng) }
        let strides = (0..<rank).map { _ in pointwise ? 1 : Int.random(in: 1...2, using: &rng) }
        let dilations = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let pads = (0..<2 * rank).map { _ in pointwise ? 0 : Int.random(in: 0...2, using: &rng) }
        let input = (0..<rank).map { d in
            Swift.max((kernel[d] - 1) * dilations[d] + 1, Int.random(in: rank == 3 ? 1...5 : spatial, using: &rng))
        }
        let geometry = try WindowGeometry(input: input, kernel: kernel, strides: strides, dilations: dilations,
                                          pads: pads, autoPad: .notSet, ceilMode: false)
        let shape = ConvShape(batch: batch ?? Int.random(in: 1...2, using: &rng), inputChannels: channels,
                              outputChannels: groups * perGroupOut, groups: groups, geometry: geometry)
        self.init(shape: shape, rng: &rng)
    }

    /// Random values, zero points, bias and requantization for `shape`.
    init(shape: ConvShape, rng: inout SeededGenerator) {
        self.shape = shape
        x = (0..<shape.inputCount).map { _ in X.random(in: X.min...X.max, using: &rng) }
        w = (0..<shape.weightCount).map { _ in W.random(in: W.min...W.max, using: &rng) }
        xZero = Int32(X.random(in: X.min...X.max, using: &rng))
        let m = shape.outputChannels
        wZero = (0..<(Bool.random(using: &rng) ? m : 1)).map { _ in Int32(W.random(in: W.min...W.max, using: &rng)) }
        bias = Bool.random(using: &rng) ? (0..<m).map { _ in Int32.random(in: -50_000...50_000, using: &rng) } : nil
        let reals = (0..<(Bool.random(using: &rng) ? m : 1)).map { _ in Double.random(in: 1e-5...4e-3, using: &rng) }
        let signed = Bool.random(using: &rng)
        requantization = Int8Requantization(realMultipliers: reals,
                                            zeroPoint: Int32.random(in: signed ? -128...127 : 0...255, using: &rng),
                                            signed: signed)
    }

    func check(path: Int8KernelPath, threads: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                int8ConvReference(shape, input: px, inputZeroPoint: xZero, weights: pw, weightZeroPoints: wZero,
                                  bias: bias)
            }
        }
        let packed = PackedInt8ConvWeights(w, shape: shape, zeroPoints: wZero, path: path)
        var y = [Int32](repeating: -7, count: shape.outputCount)
        y.withUnsafeMutableBufferPointer { out in
            int8Conv(shape, input: x, inputZeroPoint: xZero, weights: packed, bias: bias,
                     output: .int32(out.baseAddress!), threads: threads)
        }
        let g = shape.geometry
        #expect(y == expected, "int32 \(path) \(shape.inputChannels)→\(shape.outputChannels)/\(shape.groups) \(g)",
                sourceLocation: sourceLocation)
        let r = requantization, plane = g.outputSize
        let wanted = expected.enumerated().map { index, v in
            let channel = r.channels == 1 ? 0 : (index / plane) % shape.outputChannels
            return UInt8(truncatingIfNeeded: requantize(acc: v, multiplier: r.multipliers[channel],
                                                        shift: Int(r.shifts[channel]), zeroPoint: r.zeroPoint,
                                                        qmin: r.qmin, qmax: r.qmax))
        }
        var q = [UInt8](repeating: 0xAA, count: shape.outputCount)
        q.withUnsafeMutableBufferPointer { out in
            let output: Int8Output = r.qmin < 0
                ? .int8(UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: Int8.self), r)
                : .uint8(out.baseAddress!, r)
            int8Conv(shape, input: x, inputZeroPoint: xZero, weights: packed, bias: bias, output: output,
                     threads: threads)
        }
        #expect(q == wanted, "requantized \(path) \(g)", sourceLocation: sourceLocation)
    }
}
