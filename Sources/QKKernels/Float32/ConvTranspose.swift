import CQKKernels

/// Grouped N-D transposed convolution (1-D, 2-D or 3-D), ONNX ConvTranspose semantics:
///
///     Y[n, g·M/G + m, i·s − p + t·d] += Σ_{c ∈ group g} X[n, c, i] · W[c, m, t],   then Y[n, m, ·] += B[m]
///
/// computed per image and group as col = W_gᵀ · X_g (``gemm``, (M/G·K) × |X plane|) followed by col2im,
/// which scatters col into Y and drops positions outside it. Parallel over images × groups when there are
/// enough of them, otherwise the GEMM runs on `threads` threads.
public func convTranspose(_ shape: ConvTransposeShape, input: [Float], weights: [Float], bias: [Float]?,
                          threads: Int = 1) -> [Float] {
    precondition(input.count == shape.inputCount && weights.count == shape.weightCount, "convTranspose sizes")
    precondition(bias.map { $0.count == shape.outputChannels } ?? true, "convTranspose bias size")
    let g = shape.geometry.promotedTo3D
    let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
    let rows = mg * g.kernelSize, xPlane = g.outputSize, yPlane = g.inputSize
    let tasks = shape.batch * shape.groups
    var y = [Float](repeating: 0, count: shape.outputCount)
    guard shape.outputCount > 0 else { return y }
    input.withUnsafeBufferPointer { xb in
        weights.withUnsafeBufferPointer { wb in
            y.withUnsafeMutableBufferPointer { yb in
                let x = xb.baseAddress!, w = wb.baseAddress!, yBase = yb.baseAddress!
                let runTasks = { (range: Range<Int>, gemmThreads: Int) in
                    let col = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * xPlane))
                    defer { col.deallocate() }
                    for task in range {
                        let n = task / shape.groups, group = task % shape.groups
                        gemm(transA: true, transB: false, m: rows, n: xPlane, k: cg, alpha: 1,
                             a: w + group * cg * rows, lda: rows,
                             b: x + (n * shape.inputChannels + group * cg) * xPlane, ldb: xPlane,
                             beta: 0, c: col, ldc: xPlane, threads: gemmThreads)
                        col2im(col, geometry: g, channels: mg,
                               into: yBase + (n * shape.outputChannels + group * mg) * yPlane)
                    }
                }
                if tasks >= threads {
                    parallelChunks(tasks, threads: threads) { runTasks($0, 1) }
                } else {
                    runTasks(0..<tasks, threads)
                }
                if let bias {
                    for plane in 0..<(shape.batch * shape.outputChannels) {
                        finishPlane(yBase + plane * yPlane, count: yPlane, bias: bias[plane % shape.outputChannels],
                                    sum: nil, activation: .identity)
                    }
                }
            }
        }
    }
    return y
}

/// The adjoint of im2col: adds column-matrix row (c, t), column i into Y[c, i·s − p + t·d] when that
/// position lies inside Y (`g.input`), for `channels` output planes.
private func col2im(_ col: UnsafePointer<Float>, geometry g: WindowGeometry, channels: Int,
                    into y: UnsafeMutablePointer<Float>) {
    let (zD, zH, zW) = (g.output[0], g.output[1], g.output[2])
    let (yD, yH, yW) = (g.input[0], g.input[1], g.input[2])
    let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
    var row = col
    for c in 0..<channels {
        let plane = y + c * g.inputSize
        for td in 0..<g.kernel[0] {
            let offD = td * g.dilations[0] - g.padsBegin[0]
            let validD = validOutputRange(count: zD, stride: sd, offset: offD, size: yD)
            for th in 0..<g.kernel[1] {
                let offH = th * g.dilations[1] - g.padsBegin[1]
                let validH = validOutputRange(count: zH, stride: sh, offset: offH, size: yH)
                for tw in 0..<g.kernel[2] {
                    let offW = tw * g.dilations[2] - g.padsBegin[2]
                    let validW = validOutputRange(count: zW, stride: sw, offset: offW, size: yW)
                    if !validW.isEmpty {
                        for zd in validD {
                            for zh in validH {
                                let src = row + (zd * zH + zh) * zW + validW.lowerBound
                                let line = plane + ((zd * sd + offD) * yH + zh * sh + offH) * yW + offW
                                qk_saxpy(validW.count, 1, src, 1, line + validW.lowerBound * sw, sw)
                            }
                        }
                    }
                    row += g.outputSize
                }
            }
        }
    }
}
