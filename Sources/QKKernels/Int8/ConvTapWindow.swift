/// One kernel tap (td, th, tw) of a 3-D promoted convolution: for output (zd, zh, zw) it reads input
/// (zd·sd + offset.d, zh·sh + offset.h, zw·sw + offset.w), which lies inside the input exactly for zd ∈ validD,
/// zh ∈ validH, zw ∈ validW (offset = tap · dilation − pad begin, per axis).
struct ConvTapWindow {
    let validD: Range<Int>
    let validH: Range<Int>
    let validW: Range<Int>
    /// Index within an input plane read by output (zd, zh, 0) (may lie outside the row when validW excludes 0).
    let rowBase: (_ zd: Int, _ zh: Int) -> Int

    init(_ g: WindowGeometry, td: Int, th: Int, tw: Int) {
        let offD = td * g.dilations[0] - g.padsBegin[0]
        let offH = th * g.dilations[1] - g.padsBegin[1]
        let offW = tw * g.dilations[2] - g.padsBegin[2]
        validD = validOutputRange(count: g.output[0], stride: g.strides[0], offset: offD, size: g.input[0])
        validH = validOutputRange(count: g.output[1], stride: g.strides[1], offset: offH, size: g.input[1])
        validW = validOutputRange(count: g.output[2], stride: g.strides[2], offset: offW, size: g.input[2])
        let (sd, sh, ih, iw) = (g.strides[0], g.strides[1], g.input[1], g.input[2])
        rowBase = { zd, zh in ((zd * sd + offD) * ih + zh * sh + offH) * iw + offW }
    }

    /// Every tap of `g` (3-D promoted) in kernel order (td, th, tw).
    static func all(_ g: WindowGeometry) -> [ConvTapWindow] {
        var taps: [ConvTapWindow] = []
        for td in 0..<g.kernel[0] {
            for th in 0..<g.kernel[1] {
                for tw in 0..<g.kernel[2] { taps.append(ConvTapWindow(g, td: td, th: th, tw: tw)) }
            }
        }
        return taps
    }
}
