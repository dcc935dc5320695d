import CQKKernels

/// Fast int8 grouped N-D convolution (ONNX ConvInteger / QLinearConv), bit-identical to ``int8ConvReference``
/// (plus requantization):
///
///     v[n, m, o] = bias[m] + Σ_{c ∈ group(m)} Σ_t (W[m, c, t] − zw[m]) · (X[n, c, o·s − p + t·d] − zx)
///     Y[n, m, o] = v  (`.int32`)   or   clamp(zy + requantize(v, M[m]), qmin, qmax)  (`.uint8` / `.int8`)
///
/// taps in the padding read zx (so they add 0). X is u8 or s8, N×C×spatial; Y is N×M×output. Each group runs as one
/// GEMM over all images, with the pixels of every image as rows: Yᵀ (N·P × M/g) = A (N·P × K) · Wᵀ (K × M/g), depth
/// ordered (tap, channel). Each image is copied once into a padded channels-last buffer (s8 shifted to u8 by +128,
/// the padding holding the stored zx), from which C code packs A's row panels directly: row (n, o), tap t is the
/// channel run at position o·s + t·d, and its row sum is the sum of the per-position channel sums. Byte results are
/// stored pixel-major and then transposed to channel planes 16 × 16 at a time; int32 results are stored transposed
/// tile by tile. On the AVX2 and AVX-512 VNNI paths the same packed pixels run the channel-major kernel instead
/// (``int8ChannelConv``: channels × pixel panels, epilogue stored straight into the channel planes, no transpose;
/// on VNNI, inputs of at most 16 positions per plane permute each image's panel straight from X instead,
/// ``int8SmallPlaneConv``); this pixel-row GEMM remains for the portable path. Depthwise weights (groups = C = M) run
/// a direct loop. Images are packed in parallel when there is enough work; the GEMMs are split over groups when
/// there are at least `threads` of them, otherwise inside the GEMM.
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
    let shift: Int32 = X.isSigned ? 128 : 0
    let stored = inputZeroPoint + shift
    precondition(stored >= 0 && stored <= 255, "conv input zero point \(inputZeroPoint) outside the input type")
    let plan = weights.plans.value(for: shape.geometry) { ConvRowPlan(shape.geometry.promotedTo3D) }
    if !weights.channelWeights.isEmpty {
        int8ChannelConv(shape, input: input, storedZeroPoint: stored, plan: plan, weights: weights,
                        channelWeights: weights.channelWeights, bias: bias, output: output, threads: threads)
        return
    }
    let groups = shape.groups, mg = shape.outputChannelsPerGroup, pixels = plan.pixelBase.count
    let m = shape.batch * pixels, k = shape.inputChannelsPerGroup * plan.tapOffset.count
    let mr = m == 1 ? 1 : weights.groupWeights[0].path.mr
    let rows = (0..<groups).map { _ in PackedInt8Rows(m: m, k: k, mr: mr) }
    defer { rows.forEach { $0.deallocate() } }
    packConvRows(shape, input: input, plan: plan, padding: UInt8(stored), into: rows,
                 threads: m * k * groups >= minimumParallelWork ? threads : 1)
    let splitGroups = threads > 1 && groups >= threads
    func gemms(into target: Int8Output, layout: Int8RowLayout, columnStride: Int, groupStride: Int) {
        parallelChunks(groups, threads: splitGroups ? threads : 1) { range in
            for group in range {
                let channels = group * mg..<(group + 1) * mg
                int8GemmPacked(rows[group], rowZeroPoints: [stored], weights: weights.groupWeights[group],
                               bias: groups == 1 ? bias : bias.map { Array($0[channels]) },
                               output: groups == 1 ? target : target.advanced(by: group * groupStride, channels: channels),
                               layout: layout, columnStride: columnStride, threads: splitGroups ? 1 : threads)
            }
        }
    }
    let channels = shape.outputChannels
    guard pixels > 1, let bytes = output.byteScratch(count: m * channels) else {
        // int32 (or one pixel per image): the GEMM stores each tile transposed, straight into the channel planes.
        let layout = Int8RowLayout(rowStride: 1, rowsPerBlock: pixels, blockStride: channels * pixels)
        gemms(into: output, layout: layout, columnStride: pixels, groupStride: mg * pixels)
        return
    }
    // Bytes: the GEMM stores whole rows (pixel-major N·P × M), then each image's P × M block is transposed.
    defer { bytes.scratch.deallocate() }
    gemms(into: bytes.output, layout: Int8RowLayout(rowStride: channels), columnStride: 1, groupStride: mg)
    let target = output.baseAddress.assumingMemoryBound(to: UInt8.self)
    for image in 0..<shape.batch {
        qk_i8conv_transpose(bytes.scratch + image * pixels * channels, pixels, channels,
                            target + image * pixels * channels)
    }
}

extension Int8Output {
    /// For a requantized (byte) output: an uninitialized scratch of `count` bytes (the caller deallocates it) and the
    /// same output aimed at it; nil for `.int32`.
    func byteScratch(count: Int) -> (scratch: UnsafeMutablePointer<UInt8>, output: Int8Output)? {
        switch self {
        case .int32: return nil
        case .uint8(_, let r):
            let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
            return (scratch, .uint8(scratch, r))
        case .int8(_, let r):
            let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
            return (scratch, .int8(UnsafeMutableRawPointer(scratch).assumingMemoryBound(to: Int8.self), r))
        }
    }
}

/// Packs every group's GEMM rows (`rows[group]`, image n's pixels at rows n·P …) from X, image by image, through a
/// padded channels-last copy and (when `rowSums`) its per-group position sums.
func packConvRows<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, plan: ConvRowPlan,
                                        padding: UInt8, into rows: [PackedInt8Rows], rowSums: Bool = true,
                                        threads: Int) {
    let channels = shape.inputChannels, cg = shape.inputChannelsPerGroup, groups = shape.groups
    let positions = plan.positions, inPlane = shape.geometry.inputSize, pixels = plan.pixelBase.count
    let quads = rows[0].quads
    plan.dims.withUnsafeBufferPointer { dims in
        plan.pixelBase.withUnsafeBufferPointer { pixelBase in
            plan.tapOffset.withUnsafeBufferPointer { tapOffset in
                parallelChunks(shape.batch, threads: threads) { images in
                    let padded = UnsafeMutablePointer<UInt8>.allocate(capacity: positions * channels)
                    let sums = UnsafeMutablePointer<Int32>.allocate(capacity: positions)
                    defer {
                        padded.deallocate()
                        sums.deallocate()
                    }
                    for image in images {
                        let x = UnsafeRawPointer(input + image * channels * inPlane).assumingMemoryBound(to: UInt8.self)
                        qk_i8conv_pad_nhwc(x, channels, dims.baseAddress, padding, X.isSigned ? 0x80 : 0, padded)
                        for group in 0..<groups {
                            let source = padded + group * cg
                            if rowSums { qk_i8conv_position_sums(source, positions, channels, cg, sums) }
                            let target = rows[group]
                            qk_i8conv_pack_rows(source, channels, cg, rowSums ? sums : nil, pixelBase.baseAddress, pixels,
                                                tapOffset.baseAddress, tapOffset.count, image * pixels, target.mr,
                                                quads, target.values, target.rowSums)
                        }
                    }
                }
            }
        }
    }
}

/// Where a convolution (3-D promoted geometry) reads its padded channels-last input: the padded extent holds every
/// position o·s + t·d (input index + pads begin) an output pixel o and tap t read; output pixel o (row-major)
/// starts at position `pixelBase[o]` and tap t (kernel order) adds `tapOffset[t]` positions.
struct ConvRowPlan {
    /// Input D, H, W; padded extent D, H, W; pads begin D, H, W (``qk_i8conv_pad_nhwc``'s dims).
    let dims: [Int]
    /// Positions in the padded extent.
    let positions: Int
    let pixelBase: [Int32]
    let tapOffset: [Int32]
    /// For inputs of at most 16 positions and at most 16 output pixels (else empty): 16 values per tap t, lane
    /// o < pixels holding the input position (row-major in the input plane) that pixel o reads at tap t, −1 where it
    /// falls in the padding or past the pixels (``qk_i8conv_small_plane_vnni``'s lane_source).
    let laneSources: [Int32]

    init(_ g: WindowGeometry) {
        let extent = (0..<3).map { (axis: Int) -> Int in
            let last: Int = (g.output[axis] - 1) * g.strides[axis]
            return last + (g.kernel[axis] - 1) * g.dilations[axis] + 1
        }
        dims = g.input + extent + g.padsBegin as [Int]
        positions = extent.reduce(1, *)
        func index(_ d: Int, _ h: Int, _ w: Int) -> Int32 { Int32((d * extent[1] + h) * extent[2] + w) }
        var bases: [Int32] = []
        bases.reserveCapacity(g.outputSize)
        for od in 0..<g.output[0] {
            for oh in 0..<g.output[1] {
                for ow in 0..<g.output[2] { bases.append(index(od * g.strides[0], oh * g.strides[1], ow * g.strides[2])) }
            }
        }
        var offsets: [Int32] = []
        offsets.reserveCapacity(g.kernelSize)
        for td in 0..<g.kernel[0] {
            for th in 0..<g.kernel[1] {
                for tw in 0..<g.kernel[2] {
                    offsets.append(index(td * g.dilations[0], th * g.dilations[1], tw * g.dilations[2]))
                }
            }
        }
        pixelBase = bases
        tapOffset = offsets
        laneSources = g.inputSize <= 16 && bases.count <= 16
            ? ConvRowPlan.laneSources(bases, offsets, input: g.input, extent: extent, padsBegin: g.padsBegin) : []
    }

    private static func laneSources(_ bases: [Int32], _ offsets: [Int32], input: [Int], extent: [Int],
                                    padsBegin: [Int]) -> [Int32] {
        var sources = [Int32](repeating: -1, count: 16 * offsets.count)
        for (t, offset) in offsets.enumerated() {
            for (o, base) in bases.enumerated() {
                let position = Int(base + offset)
                let d = position / (extent[1] * extent[2]) - padsBegin[0]
                let h = position / extent[2] % extent[1] - padsBegin[1], w = position % extent[2] - padsBegin[2]
                guard (0..<input[0]).contains(d) && (0..<input[1]).contains(h) && (0..<input[2]).contains(w) else {
                    continue
                }
                sources[16 * t + o] = Int32((d * input[1] + h) * input[2] + w)
            }
        }
        return sources
    }
}
