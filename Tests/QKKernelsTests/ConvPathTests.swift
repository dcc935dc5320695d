import Testing
@testable import QKKernels

/// The two im2col paths of ``conv(_:input:weights:bias:sum:activation:threads:)``: the table gather used for
/// short output rows (``Im2colTable``) and the direct row copies used for wide ones.
@Suite struct ConvPathTests {
    /// The gather writes exactly the column matrix of the direct im2col (its reference twin), bit for bit, on
    /// random 1-D/2-D/3-D geometries with strides, dilations and asymmetric pads.
    @Test(arguments: 0..<30)
    func tableGatherEqualsDirectIm2col(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 901)
        let rank = [1, 2, 3][seed % 3]
        let spatial = (0..<rank).map { _ in Int.random(in: 2...9, using: &rng) }
        let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let strides = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let dilations = (0..<rank).map { _ in Int.random(in: 1...2, using: &rng) }
        let pads = (0..<2 * rank).map { _ in Int.random(in: 0...2, using: &rng) }
        guard let s = try? ConvTests.shape(batch: 1, channels: 3, outChannels: 2, groups: 1, spatial: spatial,
                                           kernel: kernel, strides: strides, dilations: dilations, pads: pads,
                                           autoPad: .notSet) else { return }
        Self.expectGatherEqualsIm2col(s, &rng)
    }

    /// Stride-2 rows of 8, 16 and 24 outputs (the gather's vector reads, which end one float past the row).
    @Test(arguments: 0..<12)
    func stridedWideRowGatherEqualsDirectIm2col(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 1717)
        let width = [8, 16, 24][seed % 3], kernel = Int.random(in: 1...3, using: &rng)
        let pads = (0..<4).map { _ in Int.random(in: 0...1, using: &rng) }
        // Input width so that ⌊(W + pads − kernel) / 2⌋ + 1 = width.
        let inputWidth = 2 * (width - 1) + kernel - pads[1] - pads[3] + seed % 2
        let s = try ConvTests.shape(batch: 1, channels: 3, outChannels: 2, groups: 1,
                                    spatial: [Int.random(in: 3...7, using: &rng), inputWidth],
                                    kernel: [kernel, kernel], strides: [2, 2], pads: pads, autoPad: .notSet)
        #expect(s.geometry.output[1] == width && Im2colTable.pays(for: s.geometry.promotedTo3D))
        Self.expectGatherEqualsIm2col(s, &rng)
    }

    /// The table gather writes exactly the direct im2col's column matrix for 3 channels of `s`.
    static func expectGatherEqualsIm2col(_ s: ConvShape, _ rng: inout SeededGenerator) {
        let g = s.geometry.promotedTo3D
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount)
        let rows = 3 * g.kernelSize, columns = g.outputSize, rowStride = columns + 3
        var direct = [Float](repeating: .nan, count: rows * rowStride)
        var gathered = direct
        let table = Im2colTable(g)
        var scratch = [Float](repeating: 0, count: table.paddedCount)
        var output = [Float](repeating: 0, count: s.outputCount)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                output.withUnsafeMutableBufferPointer { yp in
                    let job = ConvJob(shape: s, g: g, x: xp.baseAddress!, w: wp.baseAddress!, y: yp.baseAddress!,
                                      epilogue: ConvEpilogue(bias: nil, sum: nil, activation: .identity))
                    direct.withUnsafeMutableBufferPointer { job.im2col(xp.baseAddress!, channels: 3, into: $0.baseAddress!,
                                                                       rowStride: rowStride) }
                }
            }
            scratch.withUnsafeMutableBufferPointer { sp in
                gathered.withUnsafeMutableBufferPointer {
                    table.gather(xp.baseAddress!, channels: 3, inPlane: g.inputSize, scratch: sp.baseAddress!,
                                 into: $0.baseAddress!, rowStride: rowStride)
                }
            }
        }
        for r in 0..<rows {
            let range = r * rowStride..<r * rowStride + columns
            #expect(Array(gathered[range]) == Array(direct[range]), "row \(r) of \(s)")
        }
    }

    /// Wide output rows (≥ 32) take the direct im2col path: random 2-D convolutions against the reference.
    @Test(arguments: 0..<8)
    func wideRowConvMatchesReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 313)
        let s = try ConvTests.shape(batch: Int.random(in: 1...2, using: &rng), channels: 2, outChannels: 3, groups: 1,
                                    spatial: [Int.random(in: 2...4, using: &rng), Int.random(in: 34...41, using: &rng)],
                                    kernel: [3, Int.random(in: 1...3, using: &rng)], strides: [1, 1],
                                    dilations: [1, Int.random(in: 1...2, using: &rng)], pads: [1, 1, 1, 2],
                                    autoPad: .notSet)
        #expect(!Im2colTable.pays(for: s.geometry.promotedTo3D))
        let x = rng.floats(s.inputCount), w = rng.floats(s.weightCount), bias = rng.floats(3)
        let expected = convReference(s, input: x, weights: w, bias: bias, sum: nil, activation: .relu)
        for threads in [1, 2] {
            let got = conv(s, input: x, weights: w, bias: bias, activation: .relu, threads: threads)
            #expect(maxRelativeError(got, expected) < 1e-4, "\(s) threads \(threads)")
        }
    }
}
