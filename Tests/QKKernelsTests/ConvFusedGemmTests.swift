import Testing
@testable import QKKernels

/// The AVX-512 fused convolution path (``ConvJob/fusedGemm(threads:)``): im2col + one GEMM per block of images with
/// bias and activation applied in the store. Checked against its reference twin, the im2col + ``gemm`` path (the
/// same sums in the same order, so the same bits), and against the plain-loop ``convReference``.
@Suite(.enabled(if: ConvJob.fusedKernelAvailable, "needs AVX-512F"))
struct ConvFusedGemmTests {
    enum Path { case im2colGemm, fusedGemm, pixelTaps, shiftedTaps }

    /// Runs one job on `path`, output prefilled with NaN.
    static func run(_ s: ConvShape, x: [Float], w: [Float], bias: [Float]?, activation: Activation, threads: Int,
                    path: Path) -> [Float] {
        var y = [Float](repeating: .nan, count: s.outputCount)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    let job = ConvJob(shape: s, g: s.geometry.promotedTo3D, x: xp.baseAddress!, w: wp.baseAddress!,
                                      y: yp.baseAddress!,
                                      epilogue: ConvEpilogue(bias: bias, sum: nil, activation: activation))
                    #expect(job.fusedGemmApplies)
                    switch path {
                    case .im2colGemm: job.im2colGemm(threads: threads)
                    case .fusedGemm: job.fusedGemm(threads: threads)
                    case .pixelTaps: job.pixelTaps(threads: threads)
                    case .shiftedTaps: job.shiftedTaps(threads: threads)
                    }
                }
            }
        }
        return y
    }

    /// A random 1-D/2-D/3-D convolution: odd sizes, strides, dilations, asymmetric pads, groups, Cin = 1, batches
    /// that fill panels partly; `outPerGroup` output channels per group.
    static func randomShape(_ rng: inout SeededGenerator, seed: Int, outPerGroup: Int,
                            batches: ClosedRange<Int> = 1...37) throws -> ConvShape {
        let rank = [2, 1, 3, 2, 2][seed % 5]
        let groups = [1, 2, 1, 3][seed % 4]
        let channelsPerGroup = seed % 3 == 0 ? 1 : Int.random(in: 1...12, using: &rng)
        let pointwise = seed % 8 == 5
        let spatial = (0..<rank).map { _ in Int.random(in: rank == 3 ? 2...6 : 2...11, using: &rng) }
        let kernel = (0..<rank).map { _ in pointwise ? 1 : Int.random(in: 1...3, using: &rng) }
        let strides = (0..<rank).map { _ in pointwise ? 1 : Int.random(in: 1...2, using: &rng) }
        let dilations = (0..<rank).map { _ in pointwise ? 1 : Int.random(in: 1...2, using: &rng) }
        let pads = (0..<2 * rank).map { _ in pointwise ? 0 : Int.random(in: 0...2, using: &rng) }
        return try ConvTests.shape(batch: Int.random(in: batches, using: &rng), channels: channelsPerGroup * groups,
                                   outChannels: outPerGroup * groups, groups: groups, spatial: spatial,
                                   kernel: kernel, strides: strides, dilations: dilations, pads: pads)
    }

    /// Same bits as the im2col + gemm path. Output channels per group avoid one-row GEMM tiles, which that path sums
    /// in two interleaved halves (a different rounding), and the depth stays within one kc block.
    @Test(arguments: 0..<40)
    func fusedEqualsIm2colGemmBitForBit(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 5150)
        let outPerGroup = [2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 32][seed % 12]
        guard let s = try? Self.randomShape(&rng, seed: seed, outPerGroup: outPerGroup) else { return }
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(s.outputChannels) : nil
        let activation: Activation = [.relu, .identity, .clip(min: -0.25, max: 0.5)][seed % 3]
        let expected = Self.run(s, x: x, w: w, bias: bias, activation: activation, threads: 1, path: .im2colGemm)
        for threads in [1, 2] {
            let got = Self.run(s, x: x, w: w, bias: bias, activation: activation, threads: threads, path: .fusedGemm)
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(s) threads \(threads)")
        }
    }

    /// Against the plain-loop reference, including one output channel per group and depths past one kc block.
    @Test(arguments: 0..<30)
    func fusedMatchesReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 6160)
        let outPerGroup = [1, 7, 13, 17, 33][seed % 5]
        guard let s = try? Self.randomShape(&rng, seed: seed, outPerGroup: outPerGroup) else { return }
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 1 ? rng.floats(s.outputChannels) : nil
        let activation: Activation = [.identity, .clip(min: -0.5, max: 0.25), .relu][seed % 3]
        let expected = convReference(s, input: x, weights: w, bias: bias, activation: activation)
        for threads in [1, 2] {
            let got = Self.run(s, x: x, w: w, bias: bias, activation: activation, threads: threads, path: .fusedGemm)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }

    /// The digits CNN's convolutions (Cin = 1 on 8×8, 16 → 32 on 4×4, 3×3 pad 1, ReLU) at batch 1, 32 and 33, a
    /// deep 3×3 (K = 40·9 > kc) and a wide plane split over panels on two threads.
    @Test(arguments: [(1, 1, 16, 8), (32, 1, 16, 8), (1, 16, 32, 4), (32, 16, 32, 4), (33, 16, 32, 4),
                      (3, 40, 24, 5), (1, 3, 8, 40)])
    func digitsShapesMatchReference(batch: Int, channels: Int, outChannels: Int, side: Int) throws {
        var rng = SeededGenerator(seed: UInt64(batch * 1000 + channels * 10 + side))
        let s = try ConvTests.shape(batch: batch, channels: channels, outChannels: outChannels, groups: 1,
                                    spatial: [side, side], kernel: [3, 3], pads: [1, 1, 1, 1])
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount), bias = rng.floats(outChannels)
        let expected = convReference(s, input: x, weights: w, bias: bias, activation: .relu)
        for threads in [1, 2] {
            let got = conv(s, input: x, weights: w, bias: bias, activation: .relu, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }

    /// The store applies ReLU as Swift's max(x, 0): a NaN input spreads NaN through its windows and stays NaN, as in
    /// the reference; everything else matches the reference.
    @Test func reluKeepsNaNAsTheReferenceDoes() throws {
        var rng = SeededGenerator(seed: 42)
        let s = try ConvTests.shape(batch: 2, channels: 3, outChannels: 8, groups: 1, spatial: [6, 6], kernel: [3, 3],
                                    pads: [1, 1, 1, 1])
        var x = rng.floats(s.inputCount)
        x[40] = .nan
        let w = rng.floats(s.weightCount), bias = rng.floats(8)
        let expected = convReference(s, input: x, weights: w, bias: bias, activation: .relu)
        let got = Self.run(s, x: x, w: w, bias: bias, activation: .relu, threads: 1, path: .fusedGemm)
        #expect(got.map(\.isNaN) == expected.map(\.isNaN))
        #expect(expected.contains { $0.isNaN })
        let finite = zip(got, expected).filter { !$0.1.isNaN }
        #expect(maxRelativeError(finite.map(\.0), finite.map(\.1)) < 1e-4)
    }

    /// The in-register im2col of planes of ≤ 16 values writes exactly the direct im2col's column matrix, bit for bit,
    /// on random 1-D/2-D/3-D geometries with strides, dilations and asymmetric pads.
    @Test(arguments: 0..<30)
    func shuffleEqualsDirectIm2col(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 7170)
        let rank = [2, 1, 3][seed % 3]
        let spatial = rank == 1 ? [Int.random(in: 1...16, using: &rng)]
            : rank == 2 ? [Int.random(in: 1...4, using: &rng), Int.random(in: 1...4, using: &rng)] : [2, 2, 2]
        let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let strides = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let dilations = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let pads = (0..<2 * rank).map { _ in Int.random(in: 0...2, using: &rng) }
        guard let s = try? ConvTests.shape(batch: 1, channels: 3, outChannels: 2, groups: 1, spatial: spatial,
                                           kernel: kernel, strides: strides, dilations: dilations, pads: pads),
              s.geometry.outputSize <= 16 else { return }
        let g = s.geometry.promotedTo3D
        let shuffle = try #require(Im2colShuffle(g))
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let rows = 3 * g.kernelSize, columns = g.outputSize, rowStride = columns + 5
        var direct = [Float](repeating: .nan, count: rows * rowStride)
        var shuffled = direct
        var output = [Float](repeating: 0, count: s.outputCount)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                output.withUnsafeMutableBufferPointer { yp in
                    let job = ConvJob(shape: s, g: g, x: xp.baseAddress!, w: wp.baseAddress!, y: yp.baseAddress!,
                                      epilogue: ConvEpilogue(bias: nil, sum: nil, activation: .identity))
                    direct.withUnsafeMutableBufferPointer {
                        job.im2col(xp.baseAddress!, channels: 3, into: $0.baseAddress!, rowStride: rowStride)
                    }
                }
            }
            shuffled.withUnsafeMutableBufferPointer {
                shuffle.gather(xp.baseAddress!, channels: 3, into: $0.baseAddress!, rowStride: rowStride)
            }
        }
        // Same columns, and the gaps between rows untouched.
        #expect(shuffled.map(\.bitPattern) == direct.map(\.bitPattern), "\(s)")
    }

    /// The per-pixel path (taps in the padding skipped) gives the im2col + gemm path's bits, and matches the
    /// reference, on batches of 8 or more with 24 or more output channels per group.
    @Test(arguments: 0..<30)
    func pixelTapsEqualIm2colGemmBitForBit(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 8180)
        let outPerGroup = [24, 32, 40, 33][seed % 4]
        guard let s = try? Self.randomShape(&rng, seed: seed, outPerGroup: outPerGroup, batches: 8...27) else { return }
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = seed % 2 == 0 ? rng.floats(s.outputChannels) : nil
        let activation: Activation = [.relu, .identity, .clip(min: -0.25, max: 0.5)][seed % 3]
        let expected = Self.run(s, x: x, w: w, bias: bias, activation: activation, threads: 1, path: .im2colGemm)
        let reference = convReference(s, input: x, weights: w, bias: bias, activation: activation)
        #expect(maxRelativeError(expected, reference) < 1e-4, "\(s)")
        for threads in [1, 2] {
            let got = Self.run(s, x: x, w: w, bias: bias, activation: activation, threads: threads, path: .pixelTaps)
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(s) threads \(threads)")
        }
    }
}
