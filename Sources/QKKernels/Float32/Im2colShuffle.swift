import CQKKernels

/// im2col for input and output planes of at most 16 values (the 4×4 planes of small CNNs) as one in-register
/// permutation per tap (``qk_sconv_im2col16_avx512``): for tap t = (td, th, tw) and output o = (zd, zh, zw),
///
///     indices[t·16 + o] = (id · H + ih) · W + iw,   (id, ih, iw) = (zd·s_d − p_d + td·d_d, …),
///
/// with bit o of masks[t] set when that position lies inside the input (the column entry is 0 otherwise). Same
/// values as ``ConvJob/im2col(_:channels:into:rowStride:)``.
struct Im2colShuffle {
    let indices: [Int32]
    let masks: [UInt16]
    let inPlane: Int
    let outPlane: Int

    /// The shuffle for the 3-D promoted geometry `g`, nil unless both planes hold at most 16 values and the CPU has
    /// AVX-512F.
    init?(_ g: WindowGeometry) {
        guard ConvJob.fusedKernelAvailable, g.inputSize <= 16, g.outputSize <= 16, g.outputSize > 0 else { return nil }
        inPlane = g.inputSize
        outPlane = g.outputSize
        var indices = [Int32](repeating: 0, count: 16 * g.kernelSize)
        var masks = [UInt16](repeating: 0, count: g.kernelSize)
        var tap = 0
        for td in 0..<g.kernel[0] {
            for th in 0..<g.kernel[1] {
                for tw in 0..<g.kernel[2] {
                    var o = 0
                    for zd in 0..<g.output[0] {
                        for zh in 0..<g.output[1] {
                            for zw in 0..<g.output[2] {
                                let id = zd * g.strides[0] - g.padsBegin[0] + td * g.dilations[0]
                                let ih = zh * g.strides[1] - g.padsBegin[1] + th * g.dilations[1]
                                let iw = zw * g.strides[2] - g.padsBegin[2] + tw * g.dilations[2]
                                if (0..<g.input[0]).contains(id) && (0..<g.input[1]).contains(ih)
                                    && (0..<g.input[2]).contains(iw) {
                                    indices[16 * tap + o] = Int32((id * g.input[1] + ih) * g.input[2] + iw)
                                    masks[tap] |= 1 << o
                                }
                                o += 1
                            }
                        }
                    }
                    tap += 1
                }
            }
        }
        self.indices = indices
        self.masks = masks
    }

    /// Writes the (channels·K) × P column matrix of `channels` planes from `src`, rows `rowStride` floats apart.
    func gather(_ src: UnsafePointer<Float>, channels: Int, into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        indices.withUnsafeBufferPointer { indices in
            masks.withUnsafeBufferPointer { masks in
                qk_sconv_im2col16_avx512(src, channels, inPlane, indices.baseAddress, masks.baseAddress, masks.count,
                                         outPlane, col, rowStride)
            }
        }
    }
}
