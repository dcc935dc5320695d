import CQKKernels

/// The channel-major int8 Conv of single-channel inputs (one group, C = 1, at most 256 taps: the first layer of an
/// image CNN), with the same weights, epilogue and result as ``int8ChannelConv`` but image by image in one C call
/// (``qk_i8conv_single_channel``): each image is padded, its pixel panels packed into a small buffer and run by the
/// channel-major tile straight into the image's planes, so that images (packing included) split over threads:
///
///     v[n, m, o] = Σ_t x′[n, pixelBase[o] + tapOffset[t]] · w′[m, t] + bias′[m] − zw′[m] · Σ_t x′[n, …]
///
/// on the stored values x′ (padded with the stored zero point) and w′ (s8), bias′ = bias − zx·(Σ w′ − K·zw′).
/// Images are split over `threads` when there is enough work.
func int8SingleChannelConv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, storedZeroPoint: Int32,
                                                 plan: ConvRowPlan, weights: ChannelConvWeights,
                                                 epilogue: ChannelConvEpilogue, output: Int8Output, threads: Int) {
    let pixels = plan.pixelBase.count, taps = plan.tapOffset.count, channels = shape.outputChannels
    let inPlane = shape.geometry.inputSize
    let scratchBytes = qk_i8conv_single_channel_scratch(plan.positions, pixels, taps, weights.quads)
    let x = UnsafeRawPointer(input).assumingMemoryBound(to: UInt8.self)
    let out = output.baseAddress, size = output.elementSize, imageBytes = channels * pixels * size
    let kernel: Int32 = weights.kernel == .vnni ? 0 : 1
    plan.dims.withUnsafeBufferPointer { dims in
        plan.pixelBase.withUnsafeBufferPointer { pixelBase in
            plan.tapOffset.withUnsafeBufferPointer { tapOffset in
                weights.values.withUnsafeBufferPointer { w in
                    parallelChunks(shape.batch, threads: threads, workPerItem: pixels * taps * channels) { images in
                        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchBytes)
                        defer { scratch.deallocate() }
                        qk_i8conv_single_channel(images.count, x + images.lowerBound * inPlane, inPlane,
                                                 dims.baseAddress, UInt8(storedZeroPoint), X.isSigned ? 0x80 : 0,
                                                 plan.positions, pixelBase.baseAddress, pixels,
                                                 tapOffset.baseAddress, taps, kernel, weights.quads, channels,
                                                 w.baseAddress, epilogue.epilogue,
                                                 out + images.lowerBound * imageBytes, size, scratch)
                    }
                }
            }
        }
    }
}
