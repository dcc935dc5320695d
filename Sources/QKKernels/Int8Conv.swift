/// Reference integer grouped convolution, the definition of correct for the int8 Conv kernels:
///
///     Y[n, m, o] = B[m] + Σ_{c ∈ group(m)} Σ_t (W[m, c, t] − wZero[m]) · (X[n, c, o·s − p + t·d] − xZero)
///
/// in int32 (wrapping on overflow). Taps that fall in the padding contribute 0, i.e. the input is padded with its
/// zero point (as ConvInteger and QLinearConv define). X is N×C×spatial, W is M×(C/group)×kernel, Y is
/// N×M×output, all row-major. `weightZeroPoints` holds one value (per tensor) or M (per output channel);
/// `bias`, when given, holds M values. Plain loops with bounds checks.
public func int8ConvReference<X: FixedWidthInteger, W: FixedWidthInteger>(
    _ shape: ConvShape, input: UnsafeBufferPointer<X>, inputZeroPoint: Int32,
    weights: UnsafeBufferPointer<W>, weightZeroPoints: [Int32], bias: [Int32]?
) -> [Int32] {
    let g = shape.geometry.promotedTo3D
    let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
    var y = [Int32](repeating: 0, count: shape.outputCount)
    var index = 0
    for n in 0..<shape.batch {
        for m in 0..<shape.outputChannels {
            let group = m / mg
            let zw = weightZeroPoints.count == 1 ? weightZeroPoints[0] : weightZeroPoints[m]
            for od in 0..<g.output[0] {
                for oh in 0..<g.output[1] {
                    for ow in 0..<g.output[2] {
                        var acc = bias?[m] ?? 0
                        for c in 0..<cg {
                            let channel = group * cg + c
                            for kd in 0..<g.kernel[0] {
                                let id = od * g.strides[0] - g.padsBegin[0] + kd * g.dilations[0]
                                guard id >= 0 && id < g.input[0] else { continue }
                                for kh in 0..<g.kernel[1] {
                                    let ih = oh * g.strides[1] - g.padsBegin[1] + kh * g.dilations[1]
                                    guard ih >= 0 && ih < g.input[1] else { continue }
                                    for kw in 0..<g.kernel[2] {
                                        let iw = ow * g.strides[2] - g.padsBegin[2] + kw * g.dilations[2]
                                        guard iw >= 0 && iw < g.input[2] else { continue }
                                        let xv = input[((n * shape.inputChannels + channel) * g.input[0] + id)
                                                       * g.input[1] * g.input[2] + ih * g.input[2] + iw]
                                        let wv = weights[(((m * cg + c) * g.kernel[0] + kd) * g.kernel[1] + kh)
                                                         * g.kernel[2] + kw]
                                        let dx = Int32(truncatingIfNeeded: xv) &- inputZeroPoint
                                        let dw = Int32(truncatingIfNeeded: wv) &- zw
                                        acc = acc &+ dx &* dw
                                    }
                                }
                            }
                        }
                        y[index] = acc
                        index += 1
                    }
                }
            }
        }
    }
    return y
}
