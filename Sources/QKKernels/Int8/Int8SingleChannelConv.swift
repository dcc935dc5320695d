import CQKKernels

/// The channel-major int8 Conv of single-channel inputs (one group, C = 1, at most 256 taps: the first layer of an
/// image CNN), with the same weights, epilogue and result as ``int8ChannelConv`` but image by image in one C call
/// (``qk_i8conv_single_channel``): each image is padded, its pixel panels packed into a small buffer and run by the
/// channel-major tile straight into the image's planes, so that images (packing included) split over threads:
///
///     v[n, m, o] = Σ_t x′[n, pixelBase[o] + tapOffset[t]] · w′[m, t] + bias′[m] − zw′[m] · Σ_t x′[n, …]
///
/// on the stored values x′ (padded with the stored zero point) and w′ (s8), bias′ = bias − zx·(Σ w′ − K·zw′).
/// Images are split over `threads` when there is enough work. On AVX-512 VNNI with VBMI, when the geometry has a
/// ``SingleChannelGather`` (taps ≤ 32, each panel's reads within 128 bytes) and every requantization multiplier is
/// below 1, ``qk_i8conv_single_channel_vnni`` gathers the panels in registers from the unpadded images instead.
func int8SingleChannelConv<X: FixedWidthInteger>(_ shape: ConvShape, input: UnsafePointer<X>, storedZeroPoint: Int32,
                                                 plan: ConvRowPlan, weights: ChannelConvWeights,
                                                 epilogue: ChannelConvEpilogue, output: Int8Output, threads: Int,
                                                 gathers: LastValueCache<WindowGeometry, SingleChannelGather?>) {
    if weights.kernel == .vnni && SingleChannelGather.isSupported,
       let gather = gathers.value(for: shape.geometry, { SingleChannelGather.make(shape.geometry) }),
       int8GatheredSingleChannelConv(shape, input: input, storedZeroPoint: storedZeroPoint, gather: gather,
                                     weights: weights, epilogue: epilogue, output: output, threads: threads) {
        return
    }
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

/// ``qk_i8conv_single_channel_vnni`` over the images (split over `threads`); false (nothing written) when it does
/// not apply to these constants.
private func int8GatheredSingleChannelConv<X: FixedWidthInteger>(
    _ shape: ConvShape, input: UnsafePointer<X>, storedZeroPoint: Int32, gather: SingleChannelGather,
    weights: ChannelConvWeights, epilogue: ChannelConvEpilogue, output: Int8Output, threads: Int
) -> Bool {
    let pixels = shape.geometry.outputSize, taps = shape.geometry.kernelSize, channels = shape.outputChannels
    let inPlane = shape.geometry.inputSize
    let scratchBytes = qk_i8conv_single_channel_vnni_scratch(gather.panels, gather.quads, channels)
    let x = UnsafeRawPointer(input).assumingMemoryBound(to: UInt8.self)
    let out = output.baseAddress, imageBytes = channels * pixels * output.elementSize
    let e = epilogue.epilogue.pointee
    if let multiplier = e.multiplier, let shift = e.shift {
        // The kernel's double-precision rounding needs every multiplier · 2^−shift below 1.
        guard (0..<channels).allSatisfy({ multiplier[$0] < Int64(1) << shift[$0] }) else { return false }
    }
    gather.start.withUnsafeBufferPointer { start in
        gather.index.withUnsafeBufferPointer { index in
            gather.inside.withUnsafeBufferPointer { inside in
                weights.values.withUnsafeBufferPointer { w in
                    parallelChunks(shape.batch, threads: threads, workPerItem: pixels * taps * channels) { images in
                        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchBytes)
                        defer { scratch.deallocate() }
                        let done = qk_i8conv_single_channel_vnni(
                            images.count, x + images.lowerBound * inPlane, inPlane, UInt8(storedZeroPoint),
                            X.isSigned ? 0x80 : 0, pixels, gather.panels, taps, start.baseAddress,
                            index.baseAddress, inside.baseAddress, channels, w.baseAddress, epilogue.epilogue,
                            out + images.lowerBound * imageBytes, scratch)
                        precondition(done != 0, "single-channel gather kernel refused checked constants")
                    }
                }
            }
        }
    }
    return true
}
