/// Reference grouped convolution, the definition of correct for ``conv(_:input:weights:bias:sum:activation:threads:)``:
///
///     Y[n, m, o] = f( Σ_{c ∈ group(m)} Σ_t W[m, c, t] · X[n, c, o·s − p + t·d] + B[m] + S[n, m, o] )
///
/// Plain loops over every output element and tap with bounds checks; sums accumulate in Double.
public func convReference(_ shape: ConvShape, input: [Float], weights: [Float], bias: [Float]?, sum: [Float]? = nil,
                          activation: Activation = .identity) -> [Float] {
    let g = shape.geometry.promotedTo3D
    let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
    var y = [Float](repeating: 0, count: shape.outputCount)
    var index = 0
    for n in 0..<shape.batch {
        for m in 0..<shape.outputChannels {
            let group = m / mg
            for od in 0..<g.output[0] {
                for oh in 0..<g.output[1] {
                    for ow in 0..<g.output[2] {
                        var acc = Double(bias?[m] ?? 0)
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
                                        acc += Double(xv) * Double(wv)
                                    }
                                }
                            }
                        }
                        if let sum { acc += Double(sum[index]) }
                        y[index] = activation(Float(acc))
                        index += 1
                    }
                }
            }
        }
    }
    return y
}
