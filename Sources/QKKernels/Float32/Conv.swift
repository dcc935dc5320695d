import CQKKernels

/// Grouped N-D convolution (1-D, 2-D or 3-D), ONNX Conv semantics, with an optional fused epilogue:
///
///     Y[n, m, o] = f( Σ_{c ∈ group(m)} Σ_t W[m, c, t] · X[n, c, o·s − p + t·d] + B[m] + S[n, m, o] )
///
/// taps outside the input read 0; f is `activation`, S the optional `sum` (same shape as Y).
/// Depthwise convolutions (groups = C = M) run a direct loop. On AVX-512 CPUs, without a sum, with f identity,
/// ReLU or Clip and a depth C/G·K ≤ 1024, batches of ≥ 8 small planes run ``ConvJob/pixelTaps(threads:)``
/// (taps in the padding skipped), unit-stride "same"-width convolutions of depth C/G·K ≤ 32
/// ``ConvJob/shiftedTaps(threads:)`` (im2col rows read as shifted input planes) and the rest
/// ``ConvJob/fusedGemm(threads:)`` (bias and f in the GEMM's store); all give the bits of the general path,
/// im2col + ``gemm`` with 1×1 stride-1 unpadded kernels reading X directly. Work is split over images × groups
/// when there are enough of them, otherwise the GEMM itself runs on `threads` threads.
public func conv(_ shape: ConvShape, input: [Float], weights: [Float], bias: [Float]?, sum: [Float]? = nil,
                 activation: Activation = .identity, threads: Int = 1) -> [Float] {
    conv(shape, input: input, weights: weights, bias: bias, sum: sum, activation: activation, threads: threads,
         prepared: nil)
}

/// ``conv(_:input:weights:bias:sum:activation:threads:)`` reading the weight layouts and tap tables from
/// `prepared` (built from `weights`) instead of building them.
func conv(_ shape: ConvShape, input: [Float], weights: [Float], bias: [Float]?, sum: [Float]?, activation: Activation,
          threads: Int, prepared: PreparedConvWeights?) -> [Float] {
    precondition(input.count == shape.inputCount && weights.count == shape.weightCount, "conv operand sizes")
    precondition(bias.map { $0.count == shape.outputChannels } ?? true, "conv bias size")
    precondition(sum.map { $0.count == shape.outputCount } ?? true, "conv sum size")
    let tables = prepared?.tapTables(for: shape.geometry)
    let g = tables?.g ?? shape.geometry.promotedTo3D
    return [Float](unsafeUninitializedCapacity: shape.outputCount) { y, initialized in
        initialized = shape.outputCount
        guard shape.outputCount > 0 else { return }
        input.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                sum.withOptionalBuffer { s in
                    let epilogue = ConvEpilogue(bias: bias, sum: s, activation: activation)
                    var job = ConvJob(shape: shape, g: g, x: x.baseAddress!, w: w.baseAddress!, y: y.baseAddress!,
                                      epilogue: epilogue)
                    (job.prepared, job.tables) = (prepared, tables)
                    if shape.groups == shape.inputChannels && shape.groups == shape.outputChannels {
                        job.depthwise(threads: threads)
                    } else if job.pixelTapsApply {
                        job.pixelTaps(threads: threads)
                    } else if job.shiftedTapsApply {
                        job.shiftedTaps(threads: threads)
                    } else if job.fusedGemmApplies {
                        job.fusedGemm(threads: threads)
                    } else {
                        job.im2colGemm(threads: threads)
                    }
                }
            }
        }
    }
}

/// Bias, sum and activation applied to each output plane right after it is computed (while in cache).
struct ConvEpilogue: @unchecked Sendable {
    let bias: [Float]?
    let sum: UnsafePointer<Float>?
    let activation: Activation

    var isIdentity: Bool { bias == nil && sum == nil && activation == .identity }
}

/// Pointers and sizes for one conv call (3-D promoted geometry).
struct ConvJob: @unchecked Sendable {
    let shape: ConvShape
    let g: WindowGeometry
    let x: UnsafePointer<Float>
    let w: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let epilogue: ConvEpilogue
    /// W laid out at load for the paths below, nil when each path lays it out itself.
    var prepared: PreparedConvWeights? = nil
    /// The tap tables of `g`, nil when each path builds its own.
    var tables: ConvTapTables? = nil

    var inPlane: Int { g.inputSize }
    var outPlane: Int { g.outputSize }

    /// True when op(B) of the GEMM is the input itself: 1×1×1 kernel, unit strides, no padding.
    var isPointwise: Bool {
        g.kernelSize == 1 && g.strides.allSatisfy { $0 == 1 } && g.padsBegin.allSatisfy { $0 == 0 }
            && g.padsEnd.allSatisfy { $0 == 0 }
    }

    /// Columns one GEMM should cover at least: images with smaller output planes are batched side by side so
    /// the GEMM is wide enough to run at full speed.
    static let minimumGemmColumns = 512

    func im2colGemm(threads: Int) {
        let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
        let rows = cg * g.kernelSize
        let pointwise = isPointwise
        let imagesPerTask = Swift.min(shape.batch, Swift.max(1, ConvJob.minimumGemmColumns / Swift.max(1, outPlane)))
        let blocks = (shape.batch + imagesPerTask - 1) / imagesPerTask
        let tasks = blocks * shape.groups
        // One task = one (block of images, group) GEMM:
        // Y[block, group] (mg × images·P) = W[group] (mg × rows) · col (rows × images·P).
        let table = pointwise ? nil : tables.map(\.table) ?? (Im2colTable.pays(for: g) ? Im2colTable(g) : nil)
        let runTasks = { (range: Range<Int>, gemmThreads: Int) in
            let direct = pointwise && imagesPerTask == 1
            let columns = imagesPerTask * outPlane
            // Room for the column matrix as rows × columns or as packed panels (columns padded to a whole panel).
            let capacity = rows * (columns + GemmMicroKernel.best.nr)
            let col = direct ? nil : UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            let staged = imagesPerTask == 1 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: mg * columns)
            let scratch = table.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.paddedCount) }
            scratch?.initialize(repeating: 0, count: table?.paddedCount ?? 0)
            defer {
                col?.deallocate()
                staged?.deallocate()
                scratch?.deallocate()
            }
            for task in range {
                let (group, first, images) = self.task(task, imagesPerTask: imagesPerTask)
                let width = images * outPlane
                func source(_ image: Int) -> UnsafePointer<Float> { groupInput(image: first + image, group: group) }
                let firstPlane = first * shape.outputChannels + group * mg
                let c = staged ?? y + firstPlane * outPlane, ldc = staged == nil ? outPlane : width
                let weights = w + group * mg * rows
                if let col {
                    let kernel = GemmMicroKernel.best(columns: width)
                    let layout = ColumnLayout(rows: rows, width: width, plane: outPlane, kernel: kernel)
                    if layout.isPacked { layout.zeroPadding(col) }
                    for image in 0..<images {
                        let (dst, rowStride) = layout.start(of: image, in: col)
                        fillColumns(source(image), channels: cg, into: dst, rowStride: rowStride, table: table,
                                    scratch: scratch)
                    }
                    if layout.isPacked {
                        gemmPrepacked(m: mg, n: width, k: rows, a: weights, lda: rows, panels: col,
                                      paddedColumns: layout.paddedColumns, c: c, ldc: ldc, threads: gemmThreads,
                                      kernel: kernel)
                    } else {
                        gemm(transA: false, transB: false, m: mg, n: width, k: rows, alpha: 1, a: weights, lda: rows,
                             b: col, ldb: width, beta: 0, c: c, ldc: ldc, threads: gemmThreads, kernel: kernel)
                    }
                } else {
                    gemm(transA: false, transB: false, m: mg, n: width, k: rows, alpha: 1, a: weights, lda: rows,
                         b: source(0), ldb: width, beta: 0, c: c, ldc: ldc, threads: gemmThreads)
                }
                for image in 0..<images {
                    let imagePlane = (first + image) * shape.outputChannels + group * mg
                    if let staged, epilogue.sum == nil {
                        // Copy out of the staging buffer and apply bias and activation in the same pass.
                        for m in 0..<mg {
                            let plane = imagePlane + m
                            finishCopy(from: staged + m * width + image * outPlane, to: y + plane * outPlane,
                                       count: outPlane, bias: epilogue.bias?[plane % shape.outputChannels] ?? 0,
                                       activation: epilogue.activation)
                        }
                        continue
                    }
                    if let staged {
                        for m in 0..<mg {
                            (y + (imagePlane + m) * outPlane).update(from: staged + m * width + image * outPlane,
                                                                      count: outPlane)
                        }
                    }
                    for plane in imagePlane..<imagePlane + mg { finish(plane: plane) }
                }
            }
        }
        let taskWork = imagesPerTask * outPlane * (rows * mg + rows)
        if tasks >= threads || tasks * taskWork < minimumParallelWork {
            parallelChunks(tasks, threads: threads, workPerItem: taskWork) { runTasks($0, 1) }
        } else {
            runTasks(0..<tasks, threads)
        }
    }

    /// Task `task` of the split into blocks of `imagesPerTask` images × groups (block-major): its group, first
    /// image and number of images.
    func task(_ task: Int, imagesPerTask: Int) -> (group: Int, first: Int, images: Int) {
        let first = task / shape.groups * imagesPerTask
        return (task % shape.groups, first, Swift.min(imagesPerTask, shape.batch - first))
    }

    /// The first input plane of group `group` in image `image`.
    func groupInput(image: Int, group: Int) -> UnsafePointer<Float> {
        x + (image * shape.inputChannels + group * shape.inputChannelsPerGroup) * inPlane
    }

    /// Writes the column matrix of one image group (see ``im2col(_:channels:into:rowStride:)``): the input planes
    /// themselves for a pointwise kernel, through `table` (with its zero-bordered `scratch`) when given, otherwise
    /// by the direct im2col.
    func fillColumns(_ src: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>, rowStride: Int,
                     table: Im2colTable?, scratch: UnsafeMutablePointer<Float>?) {
        if isPointwise {
            for r in 0..<channels { (dst + r * rowStride).update(from: src + r * inPlane, count: outPlane) }
        } else if let table, let scratch {
            table.gather(src, channels: channels, inPlane: inPlane, scratch: scratch, into: dst, rowStride: rowStride)
        } else {
            im2col(src, channels: channels, into: dst, rowStride: rowStride)
        }
    }

    /// Writes the (channels·K) × P column matrix of one image group, rows `rowStride` floats apart: row (c, t),
    /// column o holds X[c, o·s − p + t·d] or 0 in the padding.
    func im2col(_ src: UnsafePointer<Float>, channels: Int, into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        // Geometry in locals: array reads inside the loops would cost bounds checks on every row.
        let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
        let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
        let (dd, dh, dw) = (g.dilations[0], g.dilations[1], g.dilations[2])
        let (pd, ph, pw) = (g.padsBegin[0], g.padsBegin[1], g.padsBegin[2])
        let inPlane = self.inPlane
        var row = col
        for c in 0..<channels {
            let plane = src + c * inPlane
            for td in 0..<kd {
                let offD = td * dd - pd
                let validD = validOutputRange(count: od, stride: sd, offset: offD, size: id)
                for th in 0..<kh {
                    let offH = th * dh - ph
                    let validH = validOutputRange(count: oh, stride: sh, offset: offH, size: ih)
                    for tw in 0..<kw {
                        let offW = tw * dw - pw
                        let validW = validOutputRange(count: ow, stride: sw, offset: offW, size: iw)
                        let (left, right) = (validW.lowerBound, validW.upperBound)
                        for zd in 0..<od {
                            for zh in 0..<oh {
                                let dst = row + (zd * oh + zh) * ow
                                guard validD.contains(zd), validH.contains(zh) else {
                                    dst.update(repeating: 0, count: ow)
                                    continue
                                }
                                let line = plane + ((zd * sd + offD) * ih + zh * sh + offH) * iw + offW
                                if ow < 32 {
                                    // Short rows: plain loops beat memset/memcpy calls.
                                    var zw = 0
                                    while zw < left { dst[zw] = 0; zw += 1 }
                                    while zw < right { dst[zw] = line[zw * sw]; zw += 1 }
                                    while zw < ow { dst[zw] = 0; zw += 1 }
                                    continue
                                }
                                dst.update(repeating: 0, count: left)
                                if sw == 1 {
                                    (dst + left).update(from: line + left, count: right - left)
                                } else {
                                    for zw in left..<right { dst[zw] = line[zw * sw] }
                                }
                                (dst + right).update(repeating: 0, count: ow - right)
                            }
                        }
                        row += rowStride
                    }
                }
            }
        }
    }

    /// Direct depthwise convolution (one input and one output channel per group), parallel over planes:
    /// each tap adds w · (shifted input window) to the output plane.
    func depthwise(threads: Int) {
        let planes = shape.batch * shape.outputChannels
        let taps = g.kernelSize
        parallelChunks(planes, threads: threads, workPerItem: outPlane * taps) { range in
            for planeIndex in range {
                let channel = planeIndex % shape.outputChannels
                let src = x + planeIndex * inPlane, dst = y + planeIndex * outPlane
                dst.update(repeating: 0, count: outPlane)
                let filter = w + channel * taps
                var tap = 0
                for td in 0..<g.kernel[0] {
                    for th in 0..<g.kernel[1] {
                        for tw in 0..<g.kernel[2] {
                            addTap(filter[tap], from: src, to: dst, td: td, th: th, tw: tw)
                            tap += 1
                        }
                    }
                }
                finish(plane: planeIndex)
            }
        }
    }

    /// dst[o] += weight · src[o·s − p + t·d] over the outputs whose input position is inside the plane.
    @inline(__always)
    private func addTap(_ weight: Float, from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>,
                        td: Int, th: Int, tw: Int) {
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
                qk_saxpy(validW.count, weight, line, sw, out, 1)
            }
        }
    }

    /// Bias, sum and activation on output plane `plane` (= n · M + m).
    func finish(plane: Int) {
        guard !epilogue.isIdentity else { return }
        finishPlane(y + plane * outPlane, count: outPlane, bias: epilogue.bias?[plane % shape.outputChannels],
                    sum: epilogue.sum.map { $0 + plane * outPlane }, activation: epilogue.activation)
    }
}

/// Where im2col writes one task's column matrix (rows × width, one block of `plane` columns per image): straight
/// into the GEMM micro-kernel's packed B panels when every image's block lies inside one panel and the depth fits
/// one kc block (so the GEMM need not pack B), otherwise as a plain row-major matrix.
struct ColumnLayout {
    let rows: Int
    let width: Int
    let plane: Int
    let nr: Int
    let isPacked: Bool
    /// Row stride of the plain row-major layout.
    let ld: Int

    init(rows: Int, width: Int, plane: Int, kernel: GemmMicroKernel) {
        (self.rows, self.width, self.plane, nr, ld) = (rows, width, plane, kernel.nr, width)
        isPacked = kernel.nr % plane == 0 && rows <= kernel.kc
    }

    /// The layout for a kernel that reads whole-depth panels `panelWidth` wide (no kc limit). Plain rows are
    /// padded to an odd number of 16-float (64-byte) blocks, so that walking down a column of B does not map every
    /// row to the same few cache sets.
    init(rows: Int, width: Int, plane: Int, panelWidth: Int) {
        (self.rows, self.width, self.plane, nr) = (rows, width, plane, panelWidth)
        isPacked = panelWidth % plane == 0
        ld = (width + 15) / 32 * 32 + 16
    }

    /// Floats the column buffer needs: whole panels when packed, `rows` rows of ``ld`` floats otherwise.
    var paddedRowStride: Int { isPacked ? paddedColumns : ld }

    /// Columns rounded up to whole panels.
    var paddedColumns: Int { (width + nr - 1) / nr * nr }

    /// Where image `image`'s block starts and the distance between its consecutive rows.
    func start(of image: Int, in col: UnsafeMutablePointer<Float>) -> (UnsafeMutablePointer<Float>, Int) {
        guard isPacked else { return (col + image * plane, ld) }
        let column = image * plane
        return (col + column / nr * nr * rows + column % nr, nr)
    }

    /// Zeroes the columns of the last packed panel past `width`.
    func zeroPadding(_ col: UnsafeMutablePointer<Float>) {
        let used = width % nr
        guard used > 0 else { return }
        let last = col + width / nr * nr * rows
        for r in 0..<rows { (last + r * nr + used).update(repeating: 0, count: nr - used) }
    }
}

extension Optional where Wrapped == [Float] {
    /// Runs `body` with the array's base address, or nil when there is no array.
    func withOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
