/// Int8 Conv weights W ([M, C/groups, kernel…], u8 or s8) packed once: one ``PackedInt8Weights`` per group for the
/// pixel-row GEMM of ``int8Conv`` (Wᵀ of the group with its depth reordered to (tap, channel): K = C/groups · kernel
/// size, N = M/groups), or, for a depthwise convolution
/// (groups = C = M), the taps w − zw[m] as int32 for the direct kernel.
public struct PackedInt8ConvWeights: Sendable {
    public let outputChannels: Int
    public let inputChannelsPerGroup: Int
    public let kernelSize: Int
    public let groups: Int
    /// The path requested when packing (a group may run `avx2Widening` instead of `avx2`, see PackedInt8Weights).
    public let path: Int8KernelPath
    /// Per group, the GEMM operand (empty when depthwise).
    let groupWeights: [PackedInt8Weights]
    /// Per group, the weights of the channel-major kernel (``int8ChannelConv``); empty on the portable path and
    /// when depthwise.
    let channelWeights: [ChannelConvWeights]
    /// Depthwise only: (w − zw[m]) for channel m's taps, M × kernelSize.
    let depthwiseTaps: [Int32]
    /// The row plan of the last geometry these weights ran on.
    let plans: LastValueCache<WindowGeometry, ConvRowPlan>
    /// The channel-major kernel's epilogue constants (per group) of the last bias, zero point and requantization.
    let epilogues: LastValueCache<ChannelConvEpilogueKey, [ChannelConvEpilogue]>
    /// The single-channel gather plan (``SingleChannelGather``) of the last geometry, nil where it does not apply.
    let singleChannelGathers: LastValueCache<WindowGeometry, SingleChannelGather?>

    /// True when each group has one input and one output channel (the direct depthwise kernel runs).
    public var isDepthwise: Bool { !depthwiseTaps.isEmpty }

    /// Packs W for convolutions of `shape`'s channels, groups and kernel (its batch and spatial sizes do not
    /// matter). `zeroPoints`: 1 value (per tensor) or M (per output channel). W must be UInt8 or Int8.
    public init<W: FixedWidthInteger>(_ weights: UnsafeBufferPointer<W>, shape: ConvShape, zeroPoints: [Int32],
                                      path: Int8KernelPath = .best) {
        precondition(W.bitWidth == 8, "int8 Conv weights must be UInt8 or Int8")
        precondition(weights.count >= shape.weightCount, "conv weights hold \(weights.count) < \(shape.weightCount)")
        let m = shape.outputChannels, cg = shape.inputChannelsPerGroup, mg = shape.outputChannelsPerGroup
        precondition(zeroPoints.count == 1 || zeroPoints.count == m, "conv weight zero points: 1 or \(m)")
        let taps = shape.geometry.kernelSize, k = cg * taps
        outputChannels = m
        inputChannelsPerGroup = cg
        kernelSize = taps
        groups = shape.groups
        self.path = path
        plans = LastValueCache()
        epilogues = LastValueCache()
        singleChannelGathers = LastValueCache()
        if cg == 1 && mg == 1 {
            var shifted = [Int32](repeating: 0, count: m * taps)
            for channel in 0..<m {
                let zero = zeroPoints.count == 1 ? zeroPoints[0] : zeroPoints[channel]
                for t in 0..<taps { shifted[channel * taps + t] = Int32(weights[channel * taps + t]) - zero }
            }
            groupWeights = []
            channelWeights = []
            depthwiseTaps = shifted
            return
        }
        // Each group's rows reordered from (channel, tap) to (tap, channel) depth.
        let tapMajor = (0..<shape.groups).map { group in
            var rows = [W](repeating: 0, count: mg * k)
            for j in 0..<mg {
                let source = (group * mg + j) * k
                for c in 0..<cg {
                    for t in 0..<taps { rows[j * k + t * cg + c] = weights[source + c * taps + t] }
                }
            }
            return rows
        }
        groupWeights = tapMajor.enumerated().map { group, rows in
            let zero = zeroPoints.count == 1 ? zeroPoints : Array(zeroPoints[group * mg..<(group + 1) * mg])
            return PackedInt8Weights(rows, k: k, n: mg, transposed: true, zeroPoints: zero, path: path)
        }
        channelWeights = ChannelConvKernel(path).map { kernel in
            tapMajor.map { ChannelConvWeights($0, channels: mg, k: k, kernel: kernel) }
        } ?? []
        depthwiseTaps = []
    }

    /// Packs W from an array (see the pointer initializer).
    public init<W: FixedWidthInteger>(_ weights: [W], shape: ConvShape, zeroPoints: [Int32],
                                      path: Int8KernelPath = .best) {
        self = weights.withUnsafeBufferPointer {
            PackedInt8ConvWeights($0, shape: shape, zeroPoints: zeroPoints, path: path)
        }
    }

    /// Whether these weights fit `shape` (same channels, groups and kernel size).
    func matches(_ shape: ConvShape) -> Bool {
        shape.outputChannels == outputChannels && shape.inputChannelsPerGroup == inputChannelsPerGroup
            && shape.groups == groups && shape.geometry.kernelSize == kernelSize
    }
}
