import Testing
@testable import QKKernels

/// The shifted-plane path (``ConvJob/shiftedTaps(threads:)``) for tiny depths: the same bits as the fused GEMM path
/// (and so as im2col + ``gemm``) on 1 and 2 threads, and close to the plain-loop ``convReference``.
@Suite(.enabled(if: ConvJob.fusedKernelAvailable, "needs AVX-512F"))
struct ConvShiftedTapsTests {
    /// A random unit-stride 1-D/2-D/3-D convolution whose output rows are as wide as the input rows (and, in 3-D,
    /// whose output planes are as tall): odd sizes, dilations, asymmetric pads, groups, Cin = 1, depth ≤ 32.
    static func randomShape(_ rng: inout SeededGenerator, seed: Int) throws -> ConvShape {
        let rank = [2, 1, 3, 2][seed % 4]
        let groups = [1, 2, 1, 3][seed % 4 / 2 + seed % 2]
        let spatial = (0..<rank).map { _ in Int.random(in: rank == 3 ? 1...5 : 1...11, using: &rng) }
        let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let dilations = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let kernelSize = kernel.reduce(1, *)
        let channelsPerGroup = seed % 3 == 0 ? 1 : Int.random(in: 1...Swift.max(1, 32 / kernelSize), using: &rng)
        var begin = [Int](), end = [Int]()
        for axis in 0..<rank {
            let span = (kernel[axis] - 1) * dilations[axis]
            // "Same" padding on the last axis (and the last two in 3-D); one or two more rows on the others.
            let same = axis == rank - 1 || (rank == 3 && axis == 1)
            let first = Int.random(in: 0...span, using: &rng)
            begin.append(first)
            end.append(span - first + (same ? 0 : Int.random(in: 0...2, using: &rng)))
        }
        let outPerGroup = [1, 3, 16, 17, 5, 32, 40][seed % 7]
        return try ConvTests.shape(batch: Int.random(in: 1...9, using: &rng), channels: channelsPerGroup * groups,
                                   outChannels: outPerGroup * groups, groups: groups, spatial: spatial,
                                   kernel: kernel, strides: nil, dilations: dilations, pads: begin + end)
    }

    static func check(_ s: ConvShape, _ rng: inout SeededGenerator, activation: Activation, withBias: Bool) {
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let bias = withBias ? rng.floats(s.outputChannels) : nil
        let expected = ConvFusedGemmTests.run(s, x: x, w: w, bias: bias, activation: activation, threads: 1,
                                              path: .fusedGemm)
        let reference = convReference(s, input: x, weights: w, bias: bias, activation: activation)
        #expect(maxRelativeError(expected, reference) < 1e-4, "\(s)")
        for threads in [1, 2] {
            let got = ConvFusedGemmTests.run(s, x: x, w: w, bias: bias, activation: activation, threads: threads,
                                             path: .shiftedTaps)
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(s) threads \(threads)")
        }
    }

    @Test(arguments: 0..<40)
    func shiftedTapsEqualFusedGemmBitForBit(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 9090)
        let s = try Self.randomShape(&rng, seed: seed)
        let g = s.geometry.promotedTo3D
        #expect(ShiftedTaps.apply(to: g), "\(s)")
        let activation: Activation = [.relu, .identity, .clip(min: -0.25, max: 0.5)][seed % 3]
        Self.check(s, &rng, activation: activation, withBias: seed % 2 == 0)
    }

    /// The digits CNN's first convolution (batch 32, 1 → 16 channels, 8×8, 3×3 pad 1, ReLU): chosen by ``conv``,
    /// and the same bits as the fused GEMM path.
    @Test func digitsFirstConvolution() throws {
        var rng = SeededGenerator(seed: 32)
        let s = try ConvTests.shape(batch: 32, channels: 1, outChannels: 16, groups: 1, spatial: [8, 8],
                                    kernel: [3, 3], pads: [1, 1, 1, 1])
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { y.deallocate() }
        let job = ConvJob(shape: s, g: s.geometry.promotedTo3D, x: y, w: y, y: y,
                          epilogue: ConvEpilogue(bias: nil, sum: nil, activation: .relu))
        #expect(job.shiftedTapsApply && !job.pixelTapsApply)
        Self.check(s, &rng, activation: .relu, withBias: true)
    }

    /// Strided or narrowed outputs are left to the other paths.
    @Test func stridedOrNarrowedGeometryIsNotShifted() throws {
        let strided = try ConvTests.shape(batch: 1, channels: 1, outChannels: 4, groups: 1, spatial: [8, 8],
                                          kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])
        let narrowed = try ConvTests.shape(batch: 1, channels: 1, outChannels: 4, groups: 1, spatial: [8, 8],
                                           kernel: [3, 3], pads: [1, 0, 1, 0])
        #expect(!ShiftedTaps.apply(to: strided.geometry.promotedTo3D))
        #expect(!ShiftedTaps.apply(to: narrowed.geometry.promotedTo3D))
    }
}
