import Testing
@testable import QKKernels

/// The single-channel int8 Conv (one group, C = 1: image by image, panels packed and run in one C call) against
/// ``int8ConvReference``, bit for bit, on every path this CPU has: random 1-D/2-D/3-D shapes with strides,
/// dilations and padding, rows wider than a panel and not a multiple of 8, kernels of more than 16 taps and one past
/// the 256-tap limit (the GEMM row path), u8 and s8 inputs and weights, int32 and byte outputs, one and two threads.
@Suite struct Int8SingleChannelConvTests {
    @Test(arguments: Int8KernelPath.available) func randomShapes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 61)
        for trial in 0..<16 {
            let out = Int.random(in: 1...20, using: &rng), batch = Int.random(in: 1...5, using: &rng)
            try ConvProblem<UInt8, Int8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...40)
                .check(path: path, threads: trial % 2 + 1)
            try ConvProblem<Int8, UInt8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...12)
                .check(path: path, threads: trial % 2 + 1)
        }
    }

    /// Square kernels of 1 to 17 taps a side (17 × 17 = 289 taps runs the GEMM row path) on images of 1 to 37
    /// columns, padding half the kernel.
    @Test(arguments: Int8KernelPath.available) func kernelAndRowSizes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 62)
        let cases = [(1, 1, 3), (3, 8, 32), (3, 19, 2), (5, 13, 3), (4, 37, 2), (7, 9, 2), (17, 20, 1)]
        for (kernel, side, batch) in cases {
            let geometry = try WindowGeometry(input: [side + 1, side], kernel: [kernel, kernel], strides: nil,
                                              dilations: nil, pads: Array(repeating: kernel / 2, count: 4),
                                              autoPad: .notSet, ceilMode: false)
            let shape = ConvShape(batch: batch, inputChannels: 1, outputChannels: 16, groups: 1, geometry: geometry)
            for threads in [1, 2] {
                var problem = ConvProblem<UInt8, Int8>(shape: shape, rng: &rng)
                problem.check(path: path, threads: threads)
                problem.wZero = [0]
                problem.check(path: path, threads: threads)
            }
        }
    }

    /// Small images whose panels the VNNI path gathers in registers (``SingleChannelGather``): digits-like 8 × 8
    /// images with 3 × 3 kernels and random others, with fused Relu/Clip clamp ranges, u8 and s8 outputs, multipliers
    /// from tiny through exact halves (ties) to ≥ 1 (which falls back to the packed path), weight zero points, and
    /// channel counts that are not multiples of 4, against ``int8ConvReference`` and scalar ``requantize``.
    @Test(arguments: Int8KernelPath.available) func gatheredPanels(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 63)
        for trial in 0..<40 {
            let digits = trial % 4 == 0
            let rank = digits ? 2 : Int.random(in: 1...2, using: &rng)
            let input = digits ? [8, 8] : (0..<rank).map { _ in Int.random(in: 3...(rank == 1 ? 100 : 11), using: &rng) }
            let kernel = digits ? [3, 3] : (0..<rank).map { _ in Int.random(in: 1...(rank == 1 ? 9 : 5), using: &rng) }
            let dilations = digits ? [1, 1] : (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
            let geometry = try WindowGeometry(
                input: zip(input, zip(kernel, dilations)).map { Swift.max($0, ($1.0 - 1) * $1.1 + 1) }, kernel: kernel,
                strides: digits ? nil : (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) },
                dilations: dilations,
                pads: digits ? [1, 1, 1, 1] : (0..<2 * rank).map { _ in Int.random(in: 0...2, using: &rng) },
                autoPad: .notSet, ceilMode: false)
            let shape = ConvShape(batch: digits ? 32 : Int.random(in: 1...5, using: &rng), inputChannels: 1,
                                  outputChannels: digits ? 16 : Int.random(in: 1...19, using: &rng), groups: 1,
                                  geometry: geometry)
            if digits { #expect(SingleChannelGather.make(geometry) != nil) }
            let threads = trial % 3 == 2 ? 2 : 1
            if trial % 2 == 0 {
                GatherProblem<UInt8, Int8>(shape: shape, rng: &rng).check(path: path, threads: threads)
            } else {
                GatherProblem<Int8, Int8>(shape: shape, rng: &rng).check(path: path, threads: threads)
            }
        }
    }
}

/// A single-channel convolution with a requantization drawn over the cases the gathering kernel's rounding must
/// reproduce (see ``Int8SingleChannelConvTests/gatheredPanels(path:)``).
private struct GatherProblem<X: FixedWidthInteger, W: FixedWidthInteger> {
    let shape: ConvShape
    let x: [X], w: [W]
    let xZero: Int32
    let wZero: [Int32]
    let bias: [Int32]?
    let requantization: Int8Requantization

    init(shape: ConvShape, rng: inout SeededGenerator) {
        self.shape = shape
        x = (0..<shape.inputCount).map { _ in X.random(in: X.min...X.max, using: &rng) }
        w = (0..<shape.weightCount).map { _ in W.random(in: W.min...W.max, using: &rng) }
        xZero = Int32(X.random(in: X.min...X.max, using: &rng))
        let m = shape.outputChannels
        wZero = Bool.random(using: &rng) ? [0] : (0..<m).map { _ in Int32(W.random(in: W.min...W.max, using: &rng)) }
        bias = Bool.random(using: &rng) ? (0..<m).map { _ in Int32.random(in: -50_000...50_000, using: &rng) } : nil
        // Exact powers of two make ties (v · M ending in .5) common; 1.5 and 3 exceed the kernel's limit of 1.
        let kind = Int.random(in: 0..<6, using: &rng)
        let reals = (0..<(Bool.random(using: &rng) ? m : 1)).map { _ -> Double in
            switch kind {
            case 0: Double.random(in: 1e-5...4e-3, using: &rng)
            case 1: 0x1p-9
            case 2: 0x1p-1
            case 3: Double.random(in: 0.01...0.99, using: &rng)
            default: Bool.random(using: &rng) ? 0x1p-8 : [1.5, 3][kind - 4]
            }
        }
        let signed = Bool.random(using: &rng)
        let zero = Int32.random(in: signed ? -128...127 : 0...255, using: &rng)
        let full = Int8Requantization(realMultipliers: reals, zeroPoint: zero, signed: signed)
        // Fused activations: none, Relu (lower = zero point) or a Clip range.
        requantization = [full, full.clamped(lower: zero, upper: nil),
                          full.clamped(lower: zero - 20, upper: zero + 30)].randomElement(using: &rng)!
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
        #expect(y == expected, "int32 \(path) \(shape.outputChannels) channels \(g)", sourceLocation: sourceLocation)
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
        #expect(q == wanted, "requantized \(path) \(r) \(g)", sourceLocation: sourceLocation)
    }
}
