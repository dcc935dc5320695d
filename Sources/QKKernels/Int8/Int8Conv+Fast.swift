import CQKKernels

/// Fast int8 grouped N-D convolution (ONNX ConvInteger / QLinearConv), bit-identical to ``int8ConvReference``
/// (plus requantization):
///
///     v[n, m, o] = bias[m] + Σ_{c ∈ group(m)} Σ_t (W[m, c, t] − zw[m]) · (X[n, c, o·s − p + t·d] − zx)
///     Y[n, m, o] = v  (`.int32`)   or   clamp(zy + requantize(v, M[m]), qmin, qmax)  (`.uint8` / `.int8`)
///
/// taps in the padding read zx (so they add 0). X is u8 or s8, N×C×spatial; Y is N×M×output. Each (image, group)
/// runs as a GEMM with the pixels as rows: Yᵀ (P × M/g) = im2col(X)ᵀ (P × K) · Wᵀ (K × M/g), the im2col written
/// straight into the packed row layout and the result stored transposed (channel planes). Depthwise weights
/// (groups = C = M) run a direct loop instead. Work is split over images × groups when there are at least
/// `threads` of them, otherwise inside the GEMM.
public func int8Conv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, inputZeroPoint: Int32,
                                           weights: PackedInt8ConvWeights, bias: [Int32]?, output: Int8Output,
                                           threads: Int = 1) {
    precondition(X.bitWidth == 8, "int8 Conv input must be UInt8 or Int8")
    precondition(weights.matches(shape), "conv weights were packed for another shape")
    precondition(bias.map { $0.count == shape.outputChannels } ?? true, "conv bias: \(shape.outputChannels) values")
    guard shape.outputCount > 0 else { return }
    if weights.isDepthwise {
        int8DepthwiseConv(shape, input: input, inputZeroPoint: inputZeroPoint, taps: weights.depthwiseTaps,
                          bias: bias, output: output, threads: threads)
        return
    }
    let g = shape.geometry.promotedTo3D
    let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
    let inPlane = g.inputSize, outPlane = g.outputSize
    let shift: Int32 = X.isSigned ? 128 : 0
    let stored = inputZeroPoint + shift
    precondition(stored >= 0 && stored <= 255, "conv input zero point \(inputZeroPoint) outside the input type")
    let tasks = shape.batch * shape.groups
    let runTasks = { (range: Range<Int>, gemmThreads: Int) in
        let mr = outPlane == 1 ? 1 : weights.groupWeights[0].path.mr
        let rows = PackedInt8Rows(m: outPlane, k: cg * g.kernelSize, mr: mr)
        defer { rows.deallocate() }
        for task in range {
            let image = task / shape.groups, group = task % shape.groups
            let source = input + (image * shape.inputChannels + group * cg) * inPlane
            rows.im2col(source, channels: cg, geometry: g, padding: UInt8(stored))
            let channels = group * mg..<(group + 1) * mg
            int8GemmPacked(rows, rowZeroPoints: [stored], weights: weights.groupWeights[group],
                           bias: bias.map { Array($0[channels]) },
                           output: output.advanced(by: (image * shape.outputChannels + group * mg) * outPlane,
                                                   channels: channels),
                           rowStride: 1, columnStride: outPlane, threads: gemmThreads)
        }
    }
    if tasks >= threads {
        parallelChunks(tasks, threads: threads) { runTasks($0, 1) }
    } else {
        runTasks(0..<tasks, threads)
    }
}

extension PackedInt8Rows {
    /// Writes the im2col matrix of one image group as packed rows: row o (an output pixel), depth (c, t) holds
    /// X[c, o·s − p + t·d] (s8 shifted to u8), or `padding` (the stored input zero point) outside the input; then
    /// recomputes the row sums. `geometry` is 3-D promoted; rows = output pixels, depth = channels · kernel.
    func im2col<X: FixedWidthInteger>(_ source: UnsafePointer<X>, channels: Int, geometry g: WindowGeometry,
                                      padding: UInt8) {
        let flip: UInt8 = X.isSigned ? 0x80 : 0
        let bytes = UnsafeRawPointer(source).assumingMemoryBound(to: UInt8.self)
        let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
        let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
        let (dd, dh, dw) = (g.dilations[0], g.dilations[1], g.dilations[2])
        let (pd, ph, pw) = (g.padsBegin[0], g.padsBegin[1], g.padsBegin[2])
        let inPlane = id * ih * iw
        let mrShift = mr.trailingZeroBitCount, mrMask = mr - 1, panelBytes = self.panelBytes
        precondition(mr == 1 << mrShift, "row panel height must be a power of two")
        var depth = 0
        for c in 0..<channels {
            let plane = bytes + c * inPlane
            for td in 0..<kd {
                let offD = td * dd - pd
                let validD = validOutputRange(count: od, stride: sd, offset: offD, size: id)
                for th in 0..<kh {
                    let offH = th * dh - ph
                    let validH = validOutputRange(count: oh, stride: sh, offset: offH, size: ih)
                    for tw in 0..<kw {
                        let offW = tw * dw - pw
                        let validW = validOutputRange(count: ow, stride: sw, offset: offW, size: iw)
                        let column = values + (depth >> 2) * mr * 4 + (depth & 3)
                        for zd in 0..<od {
                            for zh in 0..<oh {
                                let first = (zd * oh + zh) * ow
                                let inside = validD.contains(zd) && validH.contains(zh)
                                let line = plane + ((zd * sd + offD) * ih + zh * sh + offH) * iw + offW
                                for zw in 0..<ow {
                                    let p = first + zw
                                    let value = inside && validW.contains(zw) ? line[zw * sw] ^ flip : padding
                                    column[(p >> mrShift) * panelBytes + (p & mrMask) * 4] = value
                                }
                            }
                        }
                        depth += 1
                    }
                }
            }
        }
        computeRowSums()
    }

    /// rowSums[i] = Σ of row i's packed bytes (padding bytes are 0).
    func computeRowSums() {
        rowSums.update(repeating: 0, count: panels * mr)
        for panel in 0..<panels {
            let base = values + panel * panelBytes
            for q in 0..<quads {
                for i in 0..<mr {
                    let quad = base + (q * mr + i) * 4
                    rowSums[panel * mr + i] &+= Int32(quad[0]) + Int32(quad[1]) + Int32(quad[2]) + Int32(quad[3])
                }
            }
        }
    }
}
