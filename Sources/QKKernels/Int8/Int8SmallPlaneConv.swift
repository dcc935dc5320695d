import CQKKernels

/// The channel-major int8 Conv on the AVX-512 VNNI path for one group whose input planes hold at most 16 positions
/// and whose output has at most 16 pixels per image (``ConvRowPlan/laneSources`` not empty; channels a multiple of
/// 4), with the same weights, epilogue and result as ``int8ChannelConv`` but image by image in one C call
/// (``qk_i8conv_small_plane_vnni``): each image's 16-pixel panel is permuted straight out of its NCHW planes (no
/// padded copy, no batch-wide panels), its pixel sums taken by the same pass, and run by the channel tile into the
/// image's planes:
///
///     v[n, m, o] = Σ_{t, c} x′[n, c, source(o, t)] · w′[m, t, c] + bias′[m] − zw′[m] · Σ_{t, c} x′[n, c, source(o, t)]
///
/// on the stored values x′ (the stored zero point where source(o, t) is padding) and w′ (s8),
/// bias′ = bias − zx·(Σ w′ − K·zw′). Images are split over `threads` in one chunk each.
func int8SmallPlaneConv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, storedZeroPoint: Int32,
                                              plan: ConvRowPlan, weights: ChannelConvWeights,
                                              epilogue: ChannelConvEpilogue, output: Int8Output, threads: Int) {
    let pixels = plan.pixelBase.count, taps = plan.tapOffset.count, channels = shape.inputChannels
    let inPlane = shape.geometry.inputSize, outChannels = shape.outputChannels
    let scratchBytes = qk_i8conv_small_plane_scratch(channels, taps)
    let x = UnsafeRawPointer(input).assumingMemoryBound(to: UInt8.self)
    let out = output.baseAddress, size = output.elementSize, imageBytes = outChannels * pixels * size
    plan.laneSources.withUnsafeBufferPointer { sources in
        weights.values.withUnsafeBufferPointer { w in
            let work = pixels * taps * channels * outChannels
            parallelChunks(shape.batch, threads: threads, workPerItem: work) { images in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchBytes) { scratch in
                    qk_i8conv_small_plane_vnni(images.count, x + images.lowerBound * channels * inPlane, channels,
                                               inPlane, UInt8(storedZeroPoint), X.isSigned ? 0x80 : 0,
                                               sources.baseAddress, taps, pixels, outChannels, w.baseAddress,
                                               epilogue.epilogue, epilogue.exactScales,
                                               out + images.lowerBound * imageBytes, size, scratch.baseAddress)
                }
            }
        }
    }
}
