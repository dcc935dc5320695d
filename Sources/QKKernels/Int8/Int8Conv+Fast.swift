import CQKKernels

/// Fast int8 grouped N-D convolution (ONNX ConvInteger / QLinearConv), bit-identical to ``int8ConvReference``
/// (plus requantization):
///
///     v[n, m, o] = bias[m] + Σ_{c ∈ group(m)} Σ_t (W[m, c, t] − zw[m]) · (X[n, c, o·s − p + t·d] − zx)
///     Y[n, m, o] = v  (`.int32`)   or   clamp(zy + requantize(v, M[m]), qmin, qmax)  (`.uint8` / `.int8`)
///
/// taps in the padding read zx (so they add 0). X is u8 or s8, N×C×spatial; Y is N×M×output. Each (image, group)
/// runs as a GEMM with the pixels as rows: Yᵀ (P × M/g) = im2col(X)ᵀ (P × K) · Wᵀ (K × M/g): im2col writes a
/// K × P byte matrix (skipped for 1×1 stride-1 unpadded u8 inputs), a C routine transposes it into packed row
/// panels, and the result is stored transposed (channel planes). Depthwise weights
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
    // Images with small output planes are batched into one GEMM (rows = images × pixels) so it is tall enough.
    let imagesPerTask = Swift.min(shape.batch, Swift.max(1, minimumGemmRows / Swift.max(1, outPlane)))
    let blocks = (shape.batch + imagesPerTask - 1) / imagesPerTask
    let tasks = blocks * shape.groups
    let runTasks = { (range: Range<Int>, gemmThreads: Int) in
        let width = imagesPerTask * outPlane
        let mr = width == 1 ? 1 : weights.groupWeights[0].path.mr
        let k = cg * g.kernelSize
        let packed = PackedInt8Rows(m: width, k: k, mr: mr)
        // 1×1 stride-1 unpadded u8 convolutions of single images read X itself as the column matrix.
        let direct = isPointwise(g) && !X.isSigned && imagesPerTask == 1
        let col = direct ? nil : UnsafeMutablePointer<UInt8>.allocate(capacity: k * width)
        defer {
            packed.deallocate()
            col?.deallocate()
        }
        for task in range {
            let block = task / shape.groups, group = task % shape.groups
            let first = block * imagesPerTask, images = Swift.min(imagesPerTask, shape.batch - first)
            let rows = packed.prefix(images * outPlane)
            func source(_ image: Int) -> UnsafePointer<X> {
                input + ((first + image) * shape.inputChannels + group * cg) * inPlane
            }
            if let col {
                for image in 0..<images {
                    int8Im2col(source(image), channels: cg, geometry: g, padding: UInt8(stored),
                               into: col + image * outPlane, ld: images * outPlane)
                }
                rows.packTransposed(col, ld: images * outPlane, k: k)
            } else {
                rows.packTransposed(UnsafeRawPointer(source(0)).assumingMemoryBound(to: UInt8.self), ld: outPlane, k: k)
            }
            let channels = group * mg..<(group + 1) * mg
            let layout = Int8RowLayout(rowStride: 1, rowsPerBlock: outPlane, blockStride: shape.outputChannels * outPlane)
            int8GemmPacked(rows, rowZeroPoints: [stored], weights: weights.groupWeights[group],
                           bias: bias.map { Array($0[channels]) },
                           output: output.advanced(by: (first * shape.outputChannels + group * mg) * outPlane,
                                                   channels: channels),
                           layout: layout, columnStride: outPlane, threads: gemmThreads)
        }
    }
    if tasks >= threads {
        parallelChunks(tasks, threads: threads) { runTasks($0, 1) }
    } else {
        runTasks(0..<tasks, threads)
    }
}

/// Rows (output pixels) one Conv GEMM should have at least: images with smaller output planes are batched.
private let minimumGemmRows = 256

/// True when im2col is the identity: 1×1×1 kernel, unit strides, no padding.
private func isPointwise(_ g: WindowGeometry) -> Bool {
    g.kernelSize == 1 && g.strides.allSatisfy { $0 == 1 } && g.padsBegin.allSatisfy { $0 == 0 }
        && g.padsEnd.allSatisfy { $0 == 0 }
}

extension PackedInt8Rows {
    /// The first `count` rows (same storage; the panel layout does not depend on m).
    func prefix(_ count: Int) -> PackedInt8Rows {
        precondition(count <= m, "prefix of \(count) rows from \(m)")
        return PackedInt8Rows(m: count, mr: mr, quads: quads, values: values, rowSums: rowSums)
    }

    /// Packs the transpose of a k × m byte matrix (row stride `ld`: depth-major, one row per depth) and sets the
    /// row sums; m and k must be this value's.
    func packTransposed(_ source: UnsafePointer<UInt8>, ld: Int, k: Int) {
        qk_i8_pack_row_panels(source, ld, k, m, mr, values)
        qk_i8_column_sums(source, ld, k, m, rowSums)
    }
}

/// Writes the im2col matrix of one image group, depth-major: row (c, t) of `col` (row stride `ld`), column o (an
/// output pixel) holds X[c, o·s − p + t·d] (s8 shifted to u8 by +128), or `padding` (the stored input zero point)
/// outside the input. `g` is the 3-D promoted geometry.
func int8Im2col<X: FixedWidthInteger>(_ source: UnsafePointer<X>, channels: Int, geometry g: WindowGeometry,
                                      padding: UInt8, into col: UnsafeMutablePointer<UInt8>, ld: Int) {
    let flip: UInt8 = X.isSigned ? 0x80 : 0
    let bytes = UnsafeRawPointer(source).assumingMemoryBound(to: UInt8.self)
    let (od, oh, ow, sw) = (g.output[0], g.output[1], g.output[2], g.strides[2])
    let inPlane = g.inputSize
    let taps = ConvTapWindow.all(g)
    var row = col
    for c in 0..<channels {
        let plane = bytes + c * inPlane
        for tap in taps {
            let (left, right) = (tap.validW.lowerBound, Swift.max(tap.validW.lowerBound, tap.validW.upperBound))
            for zd in 0..<od {
                for zh in 0..<oh {
                    let dst = row + (zd * oh + zh) * ow
                    guard tap.validD.contains(zd), tap.validH.contains(zh), left < right else {
                        dst.update(repeating: padding, count: ow)
                        continue
                    }
                    let line = plane + tap.rowBase(zd, zh)
                    dst.update(repeating: padding, count: left)
                    if sw == 1 && flip == 0 {
                        (dst + left).update(from: line + left, count: right - left)
                    } else {
                        for zw in left..<right { dst[zw] = line[zw * sw] ^ flip }
                    }
                    (dst + right).update(repeating: padding, count: ow - right)
                }
            }
            row += ld
        }
    }
}
