import QKKernels
import QKTensor

/// IntegerConv (``int8Conv`` on weights packed at load time).
extension OpTable {
    /// IntegerConv: QLinearConv's inputs and Conv's attributes (see ``integerKernels``).
    static let prepareIntegerConv: KernelPreparer = { prep in
        let w = try prep.input(3)
        guard w.rank >= 3, w.rank <= 5, w.count > 0 else {
            throw prep.invalid("w must be a non-empty M×C/group×kernel tensor with 1 to 3 spatial axes, got \(w.shape)")
        }
        let group = try prep.node.int("group", default: 1)
        let outChannels = w.shape[0], channelsPerGroup = w.shape[1], kernel = Array(w.shape[2...])
        guard group > 0, outChannels % group == 0 else { throw prep.invalid("group \(group) does not divide \(outChannels) output channels") }
        if let declared = try prep.node.ints("kernel_shape"), declared != kernel {
            throw prep.invalid("kernel_shape \(declared) does not match w \(w.shape)")
        }
        let parameters = try integerLinearParameters(prep, weights: w, channels: outChannels, alpha: 1)
        let wZero = try prep.zeroPointInput(5, "w_zero_point", matching: w.dtype).values
        // The packing needs channels, groups and kernel only: a window over an input of the kernel's size.
        guard let window = try? WindowGeometry(input: kernel, kernel: kernel, strides: nil, dilations: nil, pads: nil,
                                               autoPad: .notSet) else { throw prep.invalid("w \(w.shape) has an empty kernel") }
        let packShape = ConvShape(batch: 1, inputChannels: channelsPerGroup * group, outputChannels: outChannels,
                                  groups: group, geometry: window)
        let packed: PackedInt8ConvWeights
        switch w.storage {
        case .uint8(let v): packed = PackedInt8ConvWeights(v, shape: packShape, zeroPoints: wZero)
        default: packed = PackedInt8ConvWeights(w.values(as: Int8.self) ?? [], shape: packShape, zeroPoints: wZero)
        }
        // The window of the last input size (the attributes are fixed, so it depends on the spatial sizes only).
        let geometries = LastValueCache<[Int], WindowGeometry>()
        return { ctx in
            let x = try quantizedInput(ctx, parameters)
            guard x.rank == w.rank, x.shape[1] == channelsPerGroup * group else {
                throw ctx.invalid("x \(x.shape) does not fit w \(w.shape) with group \(group)")
            }
            let spatial = Array(x.shape[2...])
            let geometry = try geometries.value(for: spatial) { try ctx.windowGeometry(spatial: spatial, kernel: kernel) }
            let shape = ConvShape(batch: x.shape[0], inputChannels: x.shape[1], outputChannels: outChannels,
                                  groups: group, geometry: geometry)
            let plane = geometry.outputSize
            return [parameters.stage.output(shape: [x.shape[0], outChannels] + geometry.output,
                                            channels: ChannelLayout(run: plane, count: outChannels), buffers: ctx.outputBuffers) { out in
                EightBit.withBytes(x) { bytes, signed in
                    if signed {
                        int8Conv(shape, input: bytes.assumingMemoryBound(to: Int8.self), inputZeroPoint: parameters.xZeroPoint,
                                 weights: packed, bias: parameters.bias, output: out, threads: ctx.threads)
                    } else {
                        int8Conv(shape, input: bytes.assumingMemoryBound(to: UInt8.self), inputZeroPoint: parameters.xZeroPoint,
                                 weights: packed, bias: parameters.bias, output: out, threads: ctx.threads)
                    }
                }
            }]
        }
    }
}
