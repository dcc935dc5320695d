import CQKKernels

/// Direct depthwise int8 convolution (groups = C = M), parallel over channel planes: each plane's int32
/// accumulator starts at bias[m] and each tap adds (w − zw) · (x − zx) over the outputs whose input lies inside
/// the plane (padding adds 0), then the plane is requantized with channel m's multiplier or stored as int32.
func int8DepthwiseConv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, inputZeroPoint: Int32,
                                             taps: [Int32], bias: [Int32]?, output: Int8Output, threads: Int) {
    let g = shape.geometry.promotedTo3D
    let inPlane = g.inputSize, outPlane = g.outputSize, kernel = g.kernelSize
    let channels = shape.outputChannels, planes = shape.batch * channels
    let requantization = output.requantization
    let out = output.baseAddress
    let workers = planes * outPlane * kernel < 1 << 16 ? 1 : threads
    parallelChunks(planes, threads: workers) { range in
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: outPlane)
        defer { acc.deallocate() }
        for plane in range {
            let channel = plane % channels
            let src = UnsafeRawPointer(input + plane * inPlane).assumingMemoryBound(to: UInt8.self)
            let target = requantization == nil ? out.assumingMemoryBound(to: Int32.self) + plane * outPlane : acc
            target.update(repeating: bias?[channel] ?? 0, count: outPlane)
            var tap = 0
            for td in 0..<g.kernel[0] {
                for th in 0..<g.kernel[1] {
                    for tw in 0..<g.kernel[2] {
                        addDepthwiseTap(taps[channel * kernel + tap], from: src, signed: X.isSigned,
                                        zeroPoint: inputZeroPoint, to: target, g: g, td: td, th: th, tw: tw)
                        tap += 1
                    }
                }
            }
            if let requantization {
                let r = requantization.channels(channel..<channel + 1)
                int8Requantize(acc, outer: 1, channels: 1, inner: outPlane, requantization: r,
                               output: out + plane * outPlane)
            }
        }
    }
}

/// dst[o] += w · (src[o·s − p + t·d] − zx) over the outputs whose input position is inside the plane
/// (`signed`: src holds s8 values).
private func addDepthwiseTap(_ w: Int32, from src: UnsafePointer<UInt8>, signed: Bool, zeroPoint: Int32,
                             to dst: UnsafeMutablePointer<Int32>, g: WindowGeometry, td: Int, th: Int, tw: Int) {
    guard w != 0 else { return }
    let offD = td * g.dilations[0] - g.padsBegin[0]
    let offH = th * g.dilations[1] - g.padsBegin[1]
    let offW = tw * g.dilations[2] - g.padsBegin[2]
    let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
    let (inH, inW, outH, outW) = (g.input[1], g.input[2], g.output[1], g.output[2])
    let validD = validOutputRange(count: g.output[0], stride: sd, offset: offD, size: g.input[0])
    let validH = validOutputRange(count: outH, stride: sh, offset: offH, size: inH)
    let validW = validOutputRange(count: outW, stride: sw, offset: offW, size: inW)
    guard !validW.isEmpty else { return }
    for zd in validD {
        for zh in validH {
            let out = dst + (zd * outH + zh) * outW + validW.lowerBound
            let line = src + ((zd * sd + offD) * inH + zh * sh + offH) * inW + offW + validW.lowerBound * sw
            if signed {
                qk_i8_axpy_s8(validW.count, w, UnsafeRawPointer(line).assumingMemoryBound(to: Int8.self), sw,
                              zeroPoint, out)
            } else {
                qk_i8_axpy_u8(validW.count, w, line, sw, zeroPoint, out)
            }
        }
    }
}
