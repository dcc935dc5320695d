import CQKKernels

/// The AVX-512 convolution path: im2col of a block of images, then one ``qk_sconv_gemm_avx512`` call per (block,
/// group) that multiplies by the weights and stores bias + activation straight into the NCHW output:
///
///     Y[n, m, o] = f( Σ_{r < C/G·K} W[m, r] · col[r, (n − first)·P + o] + B[m] ),   f ∈ {identity, ReLU, Clip}
///
/// (P output pixels per image). No staging buffer and no second pass over the output. Every sum runs in the same
/// order with the same fused multiply-adds as the im2col + ``gemm`` path, so both give the same bits.
extension ConvJob {
    /// The clamp bounds standing for the epilogue's activation, nil when the fused store cannot apply it.
    var fusedClamp: (lo: Float, hi: Float)? {
        switch epilogue.activation {
        case .identity: (-.infinity, .infinity)
        case .relu: (0, .infinity)
        case .clip(let low, let high): (low, high)
        default: nil
        }
    }

    /// Whether ``fusedGemm(threads:)`` can run this convolution: an AVX-512 CPU, no sum input, an activation the
    /// store can apply, and a depth of at most ``ConvJob/fusedMaximumDepth`` (deeper products are left to the
    /// cache-blocked ``gemm``).
    var fusedGemmApplies: Bool {
        ConvJob.fusedKernelAvailable && epilogue.sum == nil && fusedClamp != nil
            && shape.inputChannelsPerGroup * g.kernelSize <= ConvJob.fusedMaximumDepth
    }

    static let fusedKernelAvailable = qk_detect_cpu_features().avx512f != 0
    static let fusedMaximumDepth = 1024
    /// Columns of one panel of the kernel.
    static let fusedPanel = 32

    /// Runs the convolution on the fused path (see the extension's summary). Work is split over blocks of images ×
    /// groups; a single task as wide as several panels is split over panels instead.
    func fusedGemm(threads: Int) {
        let cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
        let rows = cg * g.kernelSize
        let panel = ConvJob.fusedPanel
        var imagesPerTask = Swift.min(shape.batch, Swift.max(1, ConvJob.minimumGemmColumns / Swift.max(1, outPlane)))
        if threads > 1 { imagesPerTask = Swift.min(imagesPerTask, (shape.batch + threads - 1) / threads) }
        let blocks = (shape.batch + imagesPerTask - 1) / imagesPerTask
        let tasks = blocks * shape.groups
        let direct = isPointwise && imagesPerTask == 1
        let shuffle = isPointwise ? nil : tables.map(\.shuffle) ?? Im2colShuffle(g)
        let table = isPointwise || shuffle != nil ? nil
            : tables.map(\.table) ?? (Im2colTable.pays(for: g) ? Im2colTable(g) : nil)
        let clamp = fusedClamp!
        let taskWork = imagesPerTask * outPlane * (rows * mg + rows)
        // One task's column panels split over threads only when tasks alone cannot keep them busy.
        let panelSplit = tasks < threads && tasks * taskWork >= 2 * minimumParallelWork ? threads : 1
        epilogue.bias.withOptionalBuffer { biasBase in
            parallelChunks(tasks, threads: threads, workPerItem: taskWork) { range in
                let columns = imagesPerTask * outPlane
                let layout = ColumnLayout(rows: rows, width: columns, plane: outPlane, panelWidth: panel)
                let col = direct ? nil : UnsafeMutablePointer<Float>.allocate(capacity: rows * layout.paddedRowStride)
                let scratch = table.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.paddedCount) }
                scratch?.initialize(repeating: 0, count: table?.paddedCount ?? 0)
                defer {
                    col?.deallocate()
                    scratch?.deallocate()
                }
                for task in range {
                    let (group, first, images) = self.task(task, imagesPerTask: imagesPerTask)
                    let width = images * outPlane
                    func source(_ image: Int) -> UnsafePointer<Float> { groupInput(image: first + image, group: group) }
                    let b: UnsafePointer<Float>, rowStride: Int, panelStride: Int
                    if let col {
                        for image in 0..<images {
                            let (dst, stride) = layout.start(of: image, in: col)
                            if let shuffle {
                                shuffle.gather(source(image), channels: cg, into: dst, rowStride: stride)
                            } else {
                                fillColumns(source(image), channels: cg, into: dst, rowStride: stride, table: table,
                                            scratch: scratch)
                            }
                        }
                        (b, rowStride) = (UnsafePointer(col), layout.isPacked ? panel : layout.ld)
                        panelStride = layout.isPacked ? panel * rows : panel
                    } else {
                        (b, rowStride, panelStride) = (source(0), inPlane, panel)
                    }
                    let output = qk_sconv_output(
                        y: y + (first * shape.outputChannels + group * mg) * outPlane, plane: outPlane,
                        image_stride: shape.outputChannels * outPlane, row_stride: outPlane,
                        bias: biasBase.map { $0 + group * mg },
                        lo: clamp.lo, hi: clamp.hi)
                    let weights = w + group * mg * rows
                    let panels = (width + panel - 1) / panel
                    withUnsafePointer(to: output) { output in
                        parallelChunks(panels, threads: panelSplit) { part in
                            qk_sconv_gemm_avx512(mg, part.lowerBound * panel, Swift.min(width, part.upperBound * panel),
                                                 rows, weights, rows, b, rowStride, panelStride, output)
                        }
                    }
                }
            }
        }
    }
}
