/// A convolution's constant weights laid out once (when a model is loaded; the per-pixel layout on the first run
/// that takes that path) for the fp32 paths that can run them, with the tap tables of the last input geometry, so
/// a ``conv(_:input:prepared:bias:sum:activation:threads:)`` call does only the arithmetic. The layouts hold the same values as the ones the paths build per call from W
/// (M × C/G × K, group-major), so prepared and unprepared calls give the same bits:
///
///     pixel[(grp · R + r) · ldp + m]              = W[grp · Mg + m, r]   (ldp = Mg rounded up to 32, 0 past Mg)
///     shifted[((grp · Bm + m/16) · R + r) · 16 + m%16] = W[grp · Mg + m, r]   (Bm = ⌈Mg / 16⌉, 0 past Mg)
///
/// with R = C/G · K rows r = (c, t).
public final class PreparedConvWeights: @unchecked Sendable {
    /// W itself, for the paths that read it as is.
    public let weights: [Float]
    public let outputChannels: Int
    public let channelsPerGroup: Int
    public let groups: Int
    public let kernel: [Int]
    /// Whether the pixel path can ever run these weights.
    private let pixelPossible: Bool
    /// The pixel path's transposed weights, laid out on the first run that needs them (large-plane models never
    /// take the path, so they do not pay for a second copy of W).
    private let pixelLayout = LastValueCache<Int, [Float]>()
    /// The shifted path's 16-channel blocks, nil when that path can never run these weights.
    let shifted: [Float]?
    private let tables = LastValueCache<WindowGeometry, ConvTapTables>()

    /// Lays out `weights` (outputChannels × channelsPerGroup × kernel…) for a convolution of `groups` groups.
    public init(weights: [Float], outputChannels: Int, channelsPerGroup: Int, groups: Int, kernel: [Int]) {
        precondition(groups > 0 && outputChannels % groups == 0, "conv groups")
        precondition(weights.count == outputChannels * channelsPerGroup * kernel.reduce(1, *), "conv weight size")
        (self.weights, self.outputChannels, self.channelsPerGroup, self.groups, self.kernel) =
            (weights, outputChannels, channelsPerGroup, groups, kernel)
        let mg = outputChannels / groups, rows = channelsPerGroup * kernel.reduce(1, *)
        let fused = ConvJob.fusedKernelAvailable && rows <= ConvJob.fusedMaximumDepth && !weights.isEmpty
        let depthwise = channelsPerGroup == 1 && mg == 1
        pixelPossible = fused && !depthwise && mg >= ConvJob.pixelMinimumChannels
        shifted = fused && !depthwise && rows <= ConvJob.shiftedMaximumDepth
            ? weights.withUnsafeBufferPointer { ConvJob.shiftedWeights($0.baseAddress!, groups: groups, mg: mg, rows: rows) }
            : nil
    }

    /// The pixel path's transposed weights, nil when that path can never run these weights.
    var pixel: [Float]? {
        guard pixelPossible else { return nil }
        return pixelLayout.value(for: 0) {
            weights.withUnsafeBufferPointer {
                ConvJob.pixelWeights($0.baseAddress!, groups: groups, mg: outputChannels / groups,
                                     rows: channelsPerGroup * kernel.reduce(1, *))
            }
        }
    }

    /// Whether these weights fit `shape` (same W shape and groups).
    public func fits(_ shape: ConvShape) -> Bool {
        shape.outputChannels == outputChannels && shape.inputChannelsPerGroup == channelsPerGroup
            && shape.groups == groups && shape.geometry.kernel == kernel
    }

    /// Whether these weights fit `shape` and equal `values` (the same array is recognised without a compare).
    public func fits(_ shape: ConvShape, values: [Float]) -> Bool {
        fits(shape) && values == weights
    }

    /// The tap tables of `geometry`, built on the first call with it.
    func tapTables(for geometry: WindowGeometry) -> ConvTapTables {
        tables.value(for: geometry) {
            ConvTapTables(geometry.promotedTo3D, channels: channelsPerGroup,
                          ldwt: (outputChannels / groups + 31) / 32 * 32)
        }
    }
}

/// The tables the small-plane paths derive from the input geometry alone (each nil where its path cannot apply).
final class ConvTapTables: Sendable {
    /// The 3-D promoted geometry the tables are for.
    let g: WindowGeometry
    let pixel: PixelEntries?
    let shifted: ShiftedTaps?
    let shuffle: Im2colShuffle?
    let table: Im2colTable?

    /// The tables for `channels` input channels per group and the pixel path's weight row stride `ldwt`.
    init(_ g: WindowGeometry, channels: Int, ldwt: Int) {
        self.g = g
        let available = ConvJob.fusedKernelAvailable
        pixel = available && g.outputSize <= ConvJob.pixelMaximumPlane
            && channels * g.inputSize <= ConvJob.pixelMaximumInput
            ? PixelEntries(g, channels: channels, ldwt: ldwt) : nil
        shifted = available && ShiftedTaps.apply(to: g) ? ShiftedTaps(g) : nil
        shuffle = Im2colShuffle(g)
        table = Im2colTable.pays(for: g) ? Im2colTable(g) : nil
    }
}

/// Convolution with weights laid out at load (see ``PreparedConvWeights``); the same results, bit for bit, as
/// ``conv(_:input:weights:bias:sum:activation:threads:)`` with `prepared.weights`.
public func conv(_ shape: ConvShape, input: [Float], prepared: PreparedConvWeights, bias: [Float]?,
                 sum: [Float]? = nil, activation: Activation = .identity, threads: Int = 1) -> [Float] {
    precondition(prepared.fits(shape), "prepared conv weights do not fit \(shape)")
    return conv(shape, input: input, weights: prepared.weights, bias: bias, sum: sum, activation: activation,
                threads: threads, prepared: prepared)
}
