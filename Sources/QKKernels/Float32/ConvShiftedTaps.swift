import CQKKernels

/// For unit strides and output rows as wide as the input rows (with one output depth slice, or output planes as
/// tall as the input planes), output pixel o = (zd·OH + zh)·W + zw reads tap t at input position o + offset[t]:
///
///     offset[t] = ((td·d_d − p_d)·H + th·d_h − p_h)·W + tw·d_w − p_w
///
/// so the im2col row of tap t is the input plane shifted by offset[t], with the positions in the padding masked.
/// `mask[t·pieces + q]` has bit p set when pixel 16·q + p exists and its tap t lies inside the input.
struct ShiftedTaps {
    let offset: [Int32]
    let mask: [UInt16]

    /// Whether the shifted-plane view holds for the 3-D promoted geometry `g`.
    static func apply(to g: WindowGeometry) -> Bool {
        g.strides.allSatisfy { $0 == 1 } && g.output[2] == g.input[2] && (g.output[0] == 1 || g.output[1] == g.input[1])
    }

    init(_ g: WindowGeometry) {
        let pieces = (g.outputSize + 15) / 16
        let (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        var offset: [Int32] = [], mask = [UInt16](repeating: 0, count: g.kernelSize * pieces)
        mask.withUnsafeMutableBufferPointer { mask in
            var t = 0
            for td in 0..<g.kernel[0] {
                let d = td * g.dilations[0] - g.padsBegin[0]
                let validD = validOutputRange(count: od, stride: 1, offset: d, size: g.input[0])
                for th in 0..<g.kernel[1] {
                    let h = th * g.dilations[1] - g.padsBegin[1]
                    let validH = validOutputRange(count: oh, stride: 1, offset: h, size: g.input[1])
                    for tw in 0..<g.kernel[2] {
                        let w = tw * g.dilations[2] - g.padsBegin[2]
                        let validW = validOutputRange(count: ow, stride: 1, offset: w, size: g.input[2])
                        offset.append(Int32((d * g.input[1] + h) * g.input[2] + w))
                        let tapMask = mask.baseAddress! + t * pieces
                        for zd in validD {
                            for zh in validH {
                                for zw in validW {
                                    let o = (zd * oh + zh) * ow + zw
                                    tapMask[o / 16] |= UInt16(1) << (o % 16)
                                }
                            }
                        }
                        t += 1
                    }
                }
            }
        }
        (self.offset, self.mask) = (offset, mask)
    }
}

/// The AVX-512 shifted-plane path for tiny depths (``qk_sconv_shifted_avx512``): each 16-pixel piece of an im2col
/// row is one masked load of the input, multiplied into 16 output channels at a time, with bias and activation in
/// the store. Same terms (padding zeros included), order and fused multiply-adds as ``fusedGemm(threads:)``, so
/// the same bits:
///
///     Y[n, m, o] = f( Σ_{r = (c, t) < C/G·K} W[m, r] · X[n, c, o + offset[t]] + B[m] )
extension ConvJob {
    /// Depths up to which the shifted path beats im2col + GEMM (its weights are re-read for every 16 pixels).
    static let shiftedMaximumDepth = 32

    /// Whether ``shiftedTaps(threads:)`` runs this convolution: the fused store applies, a depth C/G·K of at most
    /// ``shiftedMaximumDepth`` and a geometry ``ShiftedTaps`` covers.
    var shiftedTapsApply: Bool {
        fusedGemmApplies && shape.inputChannelsPerGroup * g.kernelSize <= ConvJob.shiftedMaximumDepth
            && ShiftedTaps.apply(to: g)
    }

    /// W per group in blocks of 16 channels, each rows × 16 (channel fastest), zero-padded past mg.
    static func shiftedWeights(_ w: UnsafePointer<Float>, groups: Int, mg: Int, rows: Int) -> [Float] {
        let ldwt = (mg + 15) / 16 * 16
        var blocked = [Float](repeating: 0, count: groups * ldwt * rows)
        blocked.withUnsafeMutableBufferPointer { wt in
            for group in 0..<groups {
                let src = w + group * mg * rows, dst = wt.baseAddress! + group * ldwt * rows
                for m in 0..<mg {
                    for r in 0..<rows { dst[(m / 16 * rows + r) * 16 + m % 16] = src[m * rows + r] }
                }
            }
        }
        return blocked
    }

    /// Runs the convolution on the shifted-plane path, split over (image, group) tasks.
    func shiftedTaps(threads: Int) {
        let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
        let rows = cg * g.kernelSize
        let taps = tables?.shifted ?? ShiftedTaps(g)
        let clamp = fusedClamp!
        let tasks = shape.batch * shape.groups
        let ldwt = (mg + 15) / 16 * 16
        let blocked = prepared?.shifted ?? ConvJob.shiftedWeights(w, groups: shape.groups, mg: mg, rows: rows)
        epilogue.bias.withOptionalBuffer { biasBase in
            taps.offset.withUnsafeBufferPointer { offset in
                taps.mask.withUnsafeBufferPointer { mask in
                    blocked.withUnsafeBufferPointer { wt in
                        parallelChunks(tasks, threads: threads, workPerItem: outPlane * rows * mg) { range in
                            for task in range {
                                let (group, image, _) = self.task(task, imagesPerTask: 1)
                                var output = qk_sconv_output(
                                    y: y + (image * shape.outputChannels + group * mg) * outPlane, plane: outPlane,
                                    image_stride: shape.outputChannels * outPlane, row_stride: outPlane,
                                    bias: biasBase.map { $0 + group * mg }, lo: clamp.lo, hi: clamp.hi)
                                qk_sconv_shifted_avx512(
                                    1, mg, cg, g.kernelSize, inPlane, groupInput(image: image, group: group),
                                    shape.inputChannels * inPlane, offset.baseAddress, mask.baseAddress,
                                    wt.baseAddress! + group * ldwt * rows, outPlane, &output)
                            }
                        }
                    }
                }
            }
        }
    }
}
