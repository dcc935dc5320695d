import CQKKernels

/// Where each 16-pixel panel of a single-channel convolution reads its bytes in the unpadded image, for the
/// gathering kernel ``qk_i8conv_single_channel_vnni`` (one two-table byte permute per quad of taps):
///
///     panel p, quad q, lane l, byte b (tap t = 4q + b, output pixel o = 16p + l) reads
///     x[start[p] + index[64·(p·quads + q) + 4l + b]]   when bit 4l + b of inside[p·quads + q] is set,
///     the input zero point otherwise (tap in the padding, t ≥ taps, or o ≥ pixels)
///
/// where position(o, t) = Σ_axis (o_axis·stride − padBegin + t_axis·dilation) · (row-major input strides). nil
/// (``make(_:)``) when a panel's positions span 128 bytes or more, or there are more than 32 taps.
struct SingleChannelGather: Sendable {
    let panels: Int
    let quads: Int
    let start: [Int32]
    let index: [UInt8]
    let inside: [UInt64]

    /// The largest tap count the gathering kernel takes (8 quads in registers).
    static let maximumTaps = 32

    static func make(_ geometry: WindowGeometry) -> SingleChannelGather? {
        let g = geometry.promotedTo3D
        let taps = g.kernelSize, pixels = g.outputSize
        guard taps <= maximumTaps, pixels > 0 else { return nil }
        let quads = (taps + 3) / 4, panels = (pixels + 15) / 16
        var start = [Int32](repeating: 0, count: panels)
        var index = [UInt8](repeating: 0, count: panels * quads * 64)
        var inside = [UInt64](repeating: 0, count: panels * quads)
        for p in 0..<panels {
            let reads = (0..<16).map { l in 16 * p + l < pixels ? positions(g, pixel: 16 * p + l) : [] }
            let used = reads.joined().compactMap { $0 }
            let first = used.min() ?? 0
            guard (used.max() ?? 0) - first < 128 else { return nil }
            start[p] = Int32(first)
            for (l, lane) in reads.enumerated() {
                for (t, position) in lane.enumerated() {
                    guard let position else { continue }
                    let q = t / 4, byte = 4 * l + t % 4
                    index[(p * quads + q) * 64 + byte] = UInt8(position - first)
                    inside[p * quads + q] |= 1 << UInt64(byte)
                }
            }
        }
        return SingleChannelGather(panels: panels, quads: quads, start: start, index: index, inside: inside)
    }

    /// The input position each tap of output pixel `pixel` reads (kernel order), nil in the padding.
    private static func positions(_ g: WindowGeometry, pixel: Int) -> [Int?] {
        let o = [pixel / (g.output[1] * g.output[2]), pixel / g.output[2] % g.output[1], pixel % g.output[2]]
        var result: [Int?] = []
        for td in 0..<g.kernel[0] {
            for th in 0..<g.kernel[1] {
                for tw in 0..<g.kernel[2] {
                    let tap = [td, th, tw]
                    let at = (0..<3).map { o[$0] * g.strides[$0] - g.padsBegin[$0] + tap[$0] * g.dilations[$0] }
                    let inRange = (0..<3).allSatisfy { at[$0] >= 0 && at[$0] < g.input[$0] }
                    result.append(inRange ? (at[0] * g.input[1] + at[1]) * g.input[2] + at[2] : nil)
                }
            }
        }
        return result
    }

    /// Whether this CPU runs the gathering kernel (AVX-512 VNNI, VBMI, BW, VL).
    static let isSupported = qk_cpu_has_avx512vbmi() != 0
}
