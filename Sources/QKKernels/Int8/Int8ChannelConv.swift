import CQKKernels

/// The weights of one group for the channel-major int8 Conv kernels (`qk_i8conv_channels_vnni` / `_avx2`): output
/// channel j's (tap, channel) depth as stored s8 values (u8 weights shifted by −128, as in ``PackedInt8Weights``),
/// zero padded to whole quads, quad-major: quad q of every channel, then quad q + 1 (the kernels broadcast channel
/// after channel at fixed offsets). The AVX2 kernel reads each quad (w₀, w₁, w₂, w₃) as the int16 pairs (w₀, w₂),
/// (w₁, w₃) (8 bytes per quad) for its exact widening products.
struct ChannelConvWeights: Sendable {
    /// The kernel these values are laid out for.
    let kernel: ChannelConvKernel
    /// Quads per output channel.
    let quads: Int
    /// Output channels of the group.
    let channels: Int
    /// s8 quads (`.vnni`) or int16 pairs (`.avx2`), as raw bytes.
    let values: [Int8]

    /// Lays out `rows` (channels × k, row-major, the group's weights in (tap, channel) depth order).
    init<W: FixedWidthInteger>(_ rows: [W], channels: Int, k: Int, kernel: ChannelConvKernel) {
        let quads = (k + 3) / 4
        var stored = [Int8](repeating: 0, count: Swift.max(1, channels * quads * 4))
        for j in 0..<channels {
            for p in 0..<k {
                let byte = UInt8(truncatingIfNeeded: rows[j * k + p]) ^ (W.isSigned ? 0 : 0x80)
                stored[((p / 4) * channels + j) * 4 + p % 4] = Int8(bitPattern: byte)
            }
        }
        self.kernel = kernel
        self.quads = quads
        self.channels = channels
        switch kernel {
        case .vnni:
            values = stored
        case .avx2:
            // Each quad's (w0, w1, w2, w3) becomes the int16 values (w0, w2, w1, w3), little-endian bytes.
            var pairs = [Int8](repeating: 0, count: Swift.max(1, stored.count * 2))
            for quad in 0..<stored.count / 4 {
                for (slot, source) in [0, 2, 1, 3].enumerated() {
                    let value = Int16(stored[quad * 4 + source])
                    pairs[quad * 8 + 2 * slot] = Int8(truncatingIfNeeded: value)
                    pairs[quad * 8 + 2 * slot + 1] = Int8(truncatingIfNeeded: value >> 8)
                }
            }
            values = pairs
        }
    }

    /// Σ_k |w[j, k] − zw[j]| per channel j on the stored values (`zeroPoints[j]` stored alike), the padding depth
    /// past k counted as well (so the sums bound the true ones from above).
    func absoluteDeviationSums(zeroPoints: [Int32]) -> [Int64] {
        let bytesPerQuad = kernel == .vnni ? 4 : 8
        var sums = [Int64](repeating: 0, count: channels)
        values.withUnsafeBytes { bytes in
            for q in 0..<quads {
                for j in 0..<channels {
                    let base = (q * channels + j) * bytesPerQuad
                    for b in 0..<4 {
                        let value: Int64
                        if kernel == .vnni {
                            value = Int64(Int8(bitPattern: bytes[base + b]))
                        } else {
                            let pair = UInt16(bytes[base + 2 * b]) | UInt16(bytes[base + 2 * b + 1]) << 8
                            value = Int64(Int16(bitPattern: pair))
                        }
                        sums[j] += abs(value - Int64(zeroPoints[j]))
                    }
                }
            }
        }
        return sums
    }
}

/// Which channel-major kernel a packing path runs (nil: the portable path keeps the pixel-row GEMM).
enum ChannelConvKernel: Sendable {
    case vnni
    case avx2

    init?(_ path: Int8KernelPath) {
        switch path {
        case .avx512vnni: self = .vnni
        case .avx2, .avx2Widening: self = .avx2
        case .portable: return nil
        }
    }

    /// Pixels per panel (one SIMD register of int32 lanes).
    var lanes: Int { self == .vnni ? 16 : 8 }
}

/// The channel-major int8 Conv: for each group, Y (M/g × N·P) = W (M/g × K) · Aᵀ, with the pixels of all images as
/// columns in panels of `lanes` (packed from the padded channels-last copy exactly as the pixel-row GEMM's rows, with
/// mr = lanes) and the output channels broadcast from the weights, so that each channel's pixels come out as one
/// vector and are stored straight into the N×M×P planes with the epilogue (bias, zero points, requantization)
/// fused: no transpose and no int32 scratch. Bit-identical to ``int8ConvReference`` (zero points enter through
/// v = Σ x·w − zw·Σ x − zx·(Σ w − K·zw) on the stored values). The requantization runs through exact double scales
/// where every channel's accumulator bound allows it (``ChannelConvEpilogue/exactScales(_:bounds:)``). One group on
/// VNNI with at most 16 input positions and 16 output pixels per image (and whole channel quads) runs
/// ``int8SmallPlaneConv`` instead.
func int8ChannelConv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, storedZeroPoint: Int32,
                                           plan: ConvRowPlan, weights: PackedInt8ConvWeights,
                                           channelWeights: [ChannelConvWeights], bias: [Int32]?,
                                           output: Int8Output, threads: Int) {
    let kernel = channelWeights[0].kernel, lanes = kernel.lanes
    let groups = shape.groups, mg = shape.outputChannelsPerGroup, pixels = plan.pixelBase.count
    let epilogues = weights.channelEpilogues(storedZeroPoint: storedZeroPoint, bias: bias, output: output,
                                             channels: mg)
    if groups == 1 && shape.inputChannelsPerGroup == 1 && plan.tapOffset.count <= 256 {
        int8SingleChannelConv(shape, input: input, storedZeroPoint: storedZeroPoint, plan: plan,
                              weights: channelWeights[0], epilogue: epilogues[0], output: output, threads: threads,
                              gathers: weights.singleChannelGathers)
        return
    }
    if kernel == .vnni && groups == 1 && !plan.laneSources.isEmpty && shape.inputChannels % 4 == 0 {
        int8SmallPlaneConv(shape, input: input, storedZeroPoint: storedZeroPoint, plan: plan,
                           weights: channelWeights[0], epilogue: epilogues[0], output: output, threads: threads)
        return
    }
    let m = shape.batch * pixels, k = shape.inputChannelsPerGroup * plan.tapOffset.count
    let rows = (0..<groups).map { _ in PackedInt8Rows(m: m, k: k, mr: lanes, zeroed: false) }
    defer { rows.forEach { $0.deallocate() } }
    // The pixel sums enter only through weight zero points.
    let rowSums = weights.groupWeights.contains { $0.hasZeroPoints }
    packConvRows(shape, input: input, plan: plan, padding: UInt8(storedZeroPoint), into: rows, rowSums: rowSums,
                 threads: m * k * groups >= minimumParallelWork ? threads : 1)
    let panels = rows[0].panels, quads = rows[0].quads
    let imageStride = shape.outputChannels * pixels, out = output.baseAddress, size = output.elementSize
    parallelChunks(groups * panels, threads: threads, workPerItem: lanes * k * mg) { tasks in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { offsets in
            for task in tasks {
                let group = task / panels, panel = task % panels
                let first = panel * lanes, count = Swift.min(lanes, m - first)
                let image = first / pixels, pixel = first % pixels
                let groupBase = group * mg * pixels
                let contiguous = pixel + count <= pixels
                if !contiguous {
                    for lane in 0..<count {
                        let column = first + lane
                        offsets[lane] = (column / pixels) * imageStride + groupBase + column % pixels
                    }
                }
                let target = out + (contiguous ? image * imageStride + groupBase + pixel : 0) * size
                let lanePointer = contiguous ? nil : UnsafePointer(offsets.baseAddress)
                let values = rows[group].values + panel * rows[group].panelBytes
                let sums = rows[group].rowSums + first
                let epilogue = epilogues[group].epilogue, scales = epilogues[group].exactScales
                channelWeights[group].values.withUnsafeBufferPointer { w in
                    switch kernel {
                    case .vnni:
                        qk_i8conv_channels_scaled_vnni(quads, mg, w.baseAddress, values, sums, count, lanePointer,
                                                       epilogue, scales, target, pixels)
                    case .avx2:
                        UnsafeRawPointer(w.baseAddress!).withMemoryRebound(to: Int16.self, capacity: w.count / 2) {
                            qk_i8conv_channels_scaled_avx2(quads, mg, $0, values, sums, count, lanePointer,
                                                           epilogue, scales, target, pixels)
                        }
                    }
                }
            }
        }
    }
}

extension PackedInt8ConvWeights {
    /// Every group's channel-major epilogue for this bias, stored input zero point and output. The constants depend
    /// only on those (and the weights): kept across calls while they stay the same.
    func channelEpilogues(storedZeroPoint: Int32, bias: [Int32]?, output: Int8Output,
                          channels: Int) -> [ChannelConvEpilogue] {
        let key = ChannelConvEpilogueKey(bias: bias, storedZeroPoint: storedZeroPoint,
                                         requantization: output.requantization)
        return epilogues.value(for: key) {
            groupWeights.indices.map { group in
                ChannelConvEpilogue(group: group, channels: channels, storedZeroPoint: storedZeroPoint,
                                    weights: groupWeights[group],
                                    channelWeights: channelWeights.isEmpty ? nil : channelWeights[group], bias: bias,
                                    output: output)
            }
        }
    }
}

/// What the epilogue constants of a convolution depend on besides its weights.
struct ChannelConvEpilogueKey: Equatable {
    let bias: [Int32]?
    let storedZeroPoint: Int32
    /// nil for int32 output.
    let requantization: Int8Requantization?
}

/// The per-channel constants of one group's epilogue: bias folded with the input zero point
/// (bias[c] − zx·(Σ w − K·zw)), the stored weight zero points (when not all 0), and the requantization columns,
/// in memory owned by this object, which `epilogue` points at; and, when every channel's accumulators provably
/// stay small enough, the exact double scales of ``qk_i8conv_channels_scaled_vnni``.
final class ChannelConvEpilogue: @unchecked Sendable {
    let epilogue: UnsafeMutablePointer<qk_i8_epilogue>
    /// multiplier[c] · 2^−r[c] per channel, or nil where some channel's bound fails (see ``exactScales(_:bounds:)``).
    let exactScales: UnsafeMutablePointer<Double>?
    private let storage: UnsafeMutablePointer<Int32>
    private let scales: UnsafeMutablePointer<Int64>

    init(group: Int, channels: Int, storedZeroPoint: Int32, weights: PackedInt8Weights,
         channelWeights: ChannelConvWeights?, bias: [Int32]?, output: Int8Output) {
        let first = group * channels
        storage = .allocate(capacity: 2 * channels)
        scales = .allocate(capacity: 3 * channels)
        for j in 0..<channels {
            storage[j] = (bias?[first + j] ?? 0) &- storedZeroPoint &* weights.columnAdjust[j]
            storage[channels + j] = weights.zeroPoints[j]
        }
        let requantization = output.requantization?.channels(first..<first + channels)
        requantization?.writeColumns(channels, padded: channels, into: scales)
        let quantized = requantization != nil
        epilogue = .allocate(capacity: 1)
        epilogue.initialize(to: qk_i8_epilogue(
            bias: UnsafePointer(storage), col_zero: weights.hasZeroPoints ? UnsafePointer(storage + channels) : nil,
            col_adj: nil, multiplier: quantized ? UnsafePointer(scales) : nil,
            shift: quantized ? UnsafePointer(scales + channels) : nil,
            rounding: quantized ? UnsafePointer(scales + 2 * channels) : nil,
            zero_point: requantization?.zeroPoint ?? 0, qmin: requantization?.qmin ?? 0,
            qmax: requantization?.qmax ?? 0))
        exactScales = requantization.flatMap { r in
            channelWeights.flatMap { w in
                Self.exactScales(r, bounds: Self.accumulatorBounds(w, zeroPoints: weights.zeroPoints, bias: bias,
                                                                   first: first))
            }
        }
    }

    /// Per channel c, a bound on |v| for every input: |bias[c]| + 255 · Σ_k |w[c, k] − zw[c]| (v = bias +
    /// Σ (x − zx)(w − zw) with |x − zx| ≤ 255).
    static func accumulatorBounds(_ weights: ChannelConvWeights, zeroPoints: [Int32], bias: [Int32]?,
                                  first: Int) -> [Int64] {
        weights.absoluteDeviationSums(zeroPoints: zeroPoints).enumerated().map { j, sum in
            Int64((bias?[first + j]).map { abs(Int64($0)) } ?? 0) + 255 * sum
        }
    }

    /// multiplier[c] · 2^−r[c] for every channel when each has bounds[c] < 2³¹, bounds[c] · |multiplier[c]| < 2⁵³
    /// and bounds[c] · |multiplier[c]| / 2^r[c] ≤ 2³⁰ (then v · scale is exact in double, its rounding fits in int32,
    /// and ``qk_i8conv_channels_scaled_vnni`` gives the 64-bit requantization's result), else nil.
    static func exactScales(_ r: Int8Requantization, bounds: [Int64]) -> UnsafeMutablePointer<Double>? {
        let fits = bounds.indices.allSatisfy { j in
            let c = r.channels == 1 ? 0 : j
            let multiplier = Int64(r.multipliers[c]).magnitude
            let product = UInt64(bounds[j]).multipliedReportingOverflow(by: multiplier)
            return bounds[j] < 1 << 31 && !product.overflow && product.partialValue < 1 << 53
                && product.partialValue >> UInt64(requantizeRightShift(Int(r.shifts[c]))) < 1 << 30
        }
        guard fits else { return nil }
        let values = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, bounds.count))
        for j in bounds.indices {
            let c = r.channels == 1 ? 0 : j
            let shift = requantizeRightShift(Int(r.shifts[c]))
            values[j] = Double(r.multipliers[c]) * Double(sign: .plus, exponent: -shift, significand: 1)
        }
        return values
    }

    deinit {
        storage.deallocate()
        scales.deallocate()
        exactScales?.deallocate()
        epilogue.deallocate()
    }
}
