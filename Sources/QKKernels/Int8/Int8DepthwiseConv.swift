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
    let windows = ConvTapWindow.all(g)
    parallelChunks(planes, threads: workers) { range in
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: outPlane)
        defer { acc.deallocate() }
        for plane in range {
            let channel = plane % channels
            let src = UnsafeRawPointer(input + plane * inPlane).assumingMemoryBound(to: UInt8.self)
            let target = requantization == nil ? out.assumingMemoryBound(to: Int32.self) + plane * outPlane : acc
            target.update(repeating: bias?[channel] ?? 0, count: outPlane)
            for (tap, window) in windows.enumerated() {
                addDepthwiseTap(taps[channel * kernel + tap], from: src, signed: X.isSigned,
                                zeroPoint: inputZeroPoint, to: target, window: window, output: g.output,
                                stride: g.strides[2])
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
                             to dst: UnsafeMutablePointer<Int32>, window: ConvTapWindow, output: [Int],
                             stride sw: Int) {
    let validW = window.validW
    guard w != 0, !validW.isEmpty else { return }
    for zd in window.validD {
        for zh in window.validH {
            let out = dst + (zd * output[1] + zh) * output[2] + validW.lowerBound
            let line = src + window.rowBase(zd, zh) + validW.lowerBound * sw
            if signed {
                qk_i8_axpy_s8(validW.count, w, UnsafeRawPointer(line).assumingMemoryBound(to: Int8.self), sw,
                              zeroPoint, out)
            } else {
                qk_i8_axpy_u8(validW.count, w, line, sw, zeroPoint, out)
            }
        }
    }
}
