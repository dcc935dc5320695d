import CQKKernels

/// For each output pixel, the kernel taps whose input position lies inside the input (the rest read padding):
/// pixel o's taps are entries `start[o] ..< start[o + 1]`, tap index `tap[e]` (in kernel order) reading input
/// position `source[e]` of a plane, with o = (zd·OH + zh)·OW + zw and source = (id·H + ih)·W + iw for
/// (id, ih, iw) = (zd·s_d − p_d + td·d_d, …).
struct PixelTaps {
    let start: [Int32]
    let tap: [Int32]
    let source: [Int32]

    /// The lists for the 3-D promoted geometry `g`.
    init(_ g: WindowGeometry) {
        var start: [Int32] = [0], tap: [Int32] = [], source: [Int32] = []
        PixelTaps.walk(g) { _, t, position in
            if let position {
                tap.append(Int32(t))
                source.append(Int32(position))
            }
        } pixelDone: { start.append(Int32(tap.count)) }
        (self.start, self.tap, self.source) = (start, tap, source)
    }

    /// Calls `body(o, t, position)` for every output pixel o (in order) and tap t (in kernel order within o), with
    /// the input position the tap reads or nil in the padding; `pixelDone` after each pixel's taps.
    static func walk(_ g: WindowGeometry, _ body: (Int, Int, Int?) -> Void, pixelDone: () -> Void = {}) {
        var o = 0
        for zd in 0..<g.output[0] {
            for zh in 0..<g.output[1] {
                for zw in 0..<g.output[2] {
                    var t = 0
                    for td in 0..<g.kernel[0] {
                        for th in 0..<g.kernel[1] {
                            for tw in 0..<g.kernel[2] {
                                let id = zd * g.strides[0] - g.padsBegin[0] + td * g.dilations[0]
                                let ih = zh * g.strides[1] - g.padsBegin[1] + th * g.dilations[1]
                                let iw = zw * g.strides[2] - g.padsBegin[2] + tw * g.dilations[2]
                                let inside = (0..<g.input[0]).contains(id) && (0..<g.input[1]).contains(ih)
                                    && (0..<g.input[2]).contains(iw)
                                body(o, t, inside ? (id * g.input[1] + ih) * g.input[2] + iw : nil)
                                t += 1
                            }
                        }
                    }
                    pixelDone()
                    o += 1
                }
            }
        }
    }
}

/// The AVX-512 per-pixel path for batches of small planes (``qk_sconv_pixels_avx512``): 8 images at a time, each
/// output pixel sums only its taps inside the input, so the padding's zero terms of im2col + GEMM are skipped (a
/// 3×3 pad-1 kernel on 4×4 planes does 100 of 144 multiply-adds per channel), and no column matrix is built:
///
///     Y[n, m, o] = f( Σ_c Σ_{t ∈ taps(o)} W[m, c, t] · X[n, c, source(o, t)] + B[m] )
///
/// in (c, t) order with fused multiply-adds: the im2col + GEMM sums without their zero terms.
extension ConvJob {
    /// Whether ``pixelTaps(threads:)`` runs this convolution: the fused store applies, at least 8 images, at least
    /// 24 output channels per group (the kernel computes them 32 at a time), small output planes and per-image
    /// inputs that stay in cache.
    var pixelTapsApply: Bool {
        fusedGemmApplies && shape.batch >= 8 && shape.outputChannelsPerGroup >= ConvJob.pixelMinimumChannels
            && outPlane <= ConvJob.pixelMaximumPlane && shape.inputChannelsPerGroup * inPlane <= ConvJob.pixelMaximumInput
    }

    static let pixelMinimumChannels = 24
    static let pixelMaximumPlane = 64
    static let pixelMaximumInput = 4096

    /// Wᵀ per group: row r = (c, t) holds the group's mg output channels, zero-padded to a multiple of 32.
    static func pixelWeights(_ w: UnsafePointer<Float>, groups: Int, mg: Int, rows: Int) -> [Float] {
        let ldwt = (mg + 31) / 32 * 32
        var transposed = [Float](repeating: 0, count: groups * rows * ldwt)
        transposed.withUnsafeMutableBufferPointer { wt in
            for group in 0..<groups {
                let src = w + group * mg * rows, dst = wt.baseAddress! + group * rows * ldwt
                for m in 0..<mg {
                    for r in 0..<rows { dst[r * ldwt + m] = src[m * rows + r] }
                }
            }
        }
        return transposed
    }

    func pixelTaps(threads: Int) {
        let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup, taps = g.kernelSize
        let rows = cg * taps, ldwt = (mg + 31) / 32 * 32
        let entries = tables?.pixel ?? PixelEntries(g, channels: cg, ldwt: ldwt)
        let transposed = prepared?.pixel ?? ConvJob.pixelWeights(w, groups: shape.groups, mg: mg, rows: rows)
        let blockImages = 8
        let blocks = (shape.batch + blockImages - 1) / blockImages
        let clamp = fusedClamp!
        let values = cg * inPlane
        epilogue.bias.withOptionalBuffer { biasBase in
            transposed.withUnsafeBufferPointer { wt in
                entries.start.withUnsafeBufferPointer { start in
                    entries.weight.withUnsafeBufferPointer { weight in
                        entries.input.withUnsafeBufferPointer { input in
                            parallelChunks(blocks * shape.groups, threads: threads,
                                           workPerItem: blockImages * outPlane * rows * mg) { range in
                                let stageCount = blockImages * outPlane * ldwt
                                let stage = UnsafeMutablePointer<Float>.allocate(capacity: stageCount + 8 * values)
                                defer { stage.deallocate() }
                                for task in range {
                                    let (group, first, images) = self.task(task, imagesPerTask: blockImages)
                                    var output = qk_sconv_output(
                                        y: y + (first * shape.outputChannels + group * mg) * outPlane,
                                        plane: outPlane, image_stride: shape.outputChannels * outPlane,
                                        row_stride: outPlane, bias: biasBase.map { $0 + group * mg },
                                        lo: clamp.lo, hi: clamp.hi)
                                    qk_sconv_pixels_avx512(
                                        images, mg, values, groupInput(image: first, group: group),
                                        shape.inputChannels * inPlane, wt.baseAddress! + group * rows * ldwt, ldwt,
                                        start.baseAddress, weight.baseAddress, input.baseAddress, outPlane, &output,
                                        stage, stage + stageCount)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The per-pixel term lists of ``qk_sconv_pixels_avx512`` for `channels` input channels: pixel o's terms are
/// entries `start[o] ..< start[o + 1]`, one per (channel c, tap t inside the input) in (c, t) order, reading
/// transposed weight row `weight[e] = (c·K + t)·ldwt` and interleaved input `input[e] = 8·(c·plane + source)`.
struct PixelEntries {
    let start: [Int32]
    let weight: [Int32]
    let input: [Int32]

    init(_ g: WindowGeometry, channels: Int, ldwt: Int) {
        let lists = PixelTaps(g), taps = g.kernelSize, plane = g.inputSize
        var start: [Int32] = [0], weight: [Int32] = [], input: [Int32] = []
        weight.reserveCapacity(lists.tap.count * channels)
        input.reserveCapacity(lists.tap.count * channels)
        for o in 0..<lists.start.count - 1 {
            for c in 0..<channels {
                for e in Int(lists.start[o])..<Int(lists.start[o + 1]) {
                    weight.append(Int32((c * taps + Int(lists.tap[e])) * ldwt))
                    input.append(Int32(8 * (c * plane + Int(lists.source[e]))))
                }
            }
            start.append(Int32(weight.count))
        }
        (self.start, self.weight, self.input) = (start, weight, input)
    }
}
