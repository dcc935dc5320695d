/// Reference transposed convolution, the definition of correct for
/// ``convTranspose(_:input:weights:bias:threads:)``: every input element scatters into the output,
///
///     Y[n, g·M/G + m, i·s − p + t·d] += X[n, c, i] · W[c, m, t]     for c in group g,
///
/// then Y[n, m, ·] += B[m]. Positions outside Y are dropped. Sums accumulate in Double.
public func convTransposeReference(_ shape: ConvTransposeShape, input: [Float], weights: [Float], bias: [Float]?) -> [Float] {
    // In `shape.geometry` the forward conv's input is ConvTranspose's output and vice versa.
    let g = shape.geometry.promotedTo3D
    let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
    let outPlane = g.inputSize
    var y = [Double](repeating: 0, count: shape.batch * shape.outputChannels * outPlane)
    for n in 0..<shape.batch {
        for c in 0..<shape.inputChannels {
            let group = c / cg
            for m in 0..<mg {
                let channel = group * mg + m
                for zd in 0..<g.output[0] {
                    for zh in 0..<g.output[1] {
                        for zw in 0..<g.output[2] {
                            let xv = Double(input[(((n * shape.inputChannels + c) * g.output[0] + zd) * g.output[1]
                                                   + zh) * g.output[2] + zw])
                            for kd in 0..<g.kernel[0] {
                                let od = zd * g.strides[0] - g.padsBegin[0] + kd * g.dilations[0]
                                guard od >= 0 && od < g.input[0] else { continue }
                                for kh in 0..<g.kernel[1] {
                                    let oh = zh * g.strides[1] - g.padsBegin[1] + kh * g.dilations[1]
                                    guard oh >= 0 && oh < g.input[1] else { continue }
                                    for kw in 0..<g.kernel[2] {
                                        let ow = zw * g.strides[2] - g.padsBegin[2] + kw * g.dilations[2]
                                        guard ow >= 0 && ow < g.input[2] else { continue }
                                        let wv = weights[(((c * mg + m) * g.kernel[0] + kd) * g.kernel[1] + kh)
                                                         * g.kernel[2] + kw]
                                        y[((n * shape.outputChannels + channel) * g.input[0] + od) * g.input[1]
                                          * g.input[2] + oh * g.input[2] + ow] += xv * Double(wv)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return y.enumerated().map { index, value in
        Float(value + Double(bias?[(index / outPlane) % shape.outputChannels] ?? 0))
    }
}
