import QKKernels
import QKTensor

extension OpTable {
    static let convolutionKernels: [String: OpKernel] = [
        "Conv": { ctx in try convolution(ctx, activation: .identity) },
        "ConvTranspose": convTransposeKernel,
    ]

    /// Conv (and FusedConv with `activation`): Y = f(conv(X, W) + B + Z); Z (input #3) only for FusedConv.
    /// `prepared` holds the attributes when read at load (checked in the same order as when read here).
    static func convolution(_ ctx: KernelContext, activation: Activation, prepared: PreparedConv? = nil) throws -> [Tensor] {
        let (x, xValues) = try ctx.floatInput(0)
        let (w, wValues) = try ctx.floatInput(1)
        guard x.rank >= 3, w.rank == x.rank else {
            throw ctx.invalid("X must be N×C×spatial and W M×C/group×kernel of the same rank, got X \(x.shape), W \(w.shape)")
        }
        guard w.dtype == x.dtype else { throw ctx.invalid("W must be \(x.dtype), got \(w.dtype)") }
        let group = try prepared?.group ?? ctx.node.int("group", default: 1)
        let channels = x.shape[1], outChannels = w.shape[0]
        guard group > 0, channels % group == 0, outChannels % group == 0, w.shape[1] * group == channels else {
            throw ctx.invalid("group \(group) does not fit X channels \(channels) and W \(w.shape)")
        }
        let kernel = Array(w.shape[2...])
        // prepared.map gives .some(declaredKernel) when prepared, so the node is read only without it.
        if let declared = try prepared.map(\.declaredKernel) ?? ctx.node.ints("kernel_shape"), declared != kernel {
            throw ctx.invalid("kernel_shape \(declared) does not match W \(w.shape)")
        }
        guard !xValues.isEmpty, !wValues.isEmpty else { throw ctx.invalid("X \(x.shape) and W \(w.shape) must not be empty") }
        let spatial = Array(x.shape[2...])
        let geometry = try prepared?.window.geometry(ctx, spatial: spatial, kernel: kernel)
            ?? ctx.windowGeometry(spatial: spatial, kernel: kernel)
        let shape = ConvShape(batch: x.shape[0], inputChannels: channels, outputChannels: outChannels, groups: group,
                              geometry: geometry)
        let yShape = [x.shape[0], outChannels] + geometry.output
        let bias = try ctx.optionalFloatInput(2, matching: x.dtype)
        if let bias, bias.values.count != outChannels {
            throw ctx.invalid("B must have \(outChannels) elements, got shape \(bias.tensor.shape)")
        }
        let sum = try ctx.optionalFloatInput(3, matching: x.dtype)
        if let sum, sum.tensor.shape != yShape {
            throw ctx.invalid("Z must have the output shape \(yShape), got \(sum.tensor.shape)")
        }
        let y: [Float]
        if x.dtype == .float32, let weights = prepared?.weights, weights.fits(shape, values: wValues) {
            y = conv(shape, input: xValues, prepared: weights, bias: bias?.values, sum: sum?.values,
                     activation: activation, threads: ctx.threads)
        } else {
            y = conv(shape, input: xValues, weights: wValues, bias: bias?.values, sum: sum?.values,
                     activation: activation, threads: ctx.threads)
        }
        return [ctx.floatOutput(y, shape: yShape, as: x.dtype)]
    }

    /// ConvTranspose: W is C×(M/group)×kernel; output size from pads/auto_pad/output_padding/output_shape.
    static let convTransposeKernel: OpKernel = { ctx in
        let (x, xValues) = try ctx.floatInput(0)
        let (w, wValues) = try ctx.floatInput(1)
        guard x.rank >= 3, w.rank == x.rank, (1...3).contains(x.rank - 2) else {
            throw ctx.invalid("X must be N×C×spatial (1 to 3 axes) and W C×M/group×kernel, got X \(x.shape), W \(w.shape)")
        }
        guard w.dtype == x.dtype else { throw ctx.invalid("W must be \(x.dtype), got \(w.dtype)") }
        let group = try ctx.node.int("group", default: 1)
        let channels = x.shape[1]
        guard group > 0, channels % group == 0, w.shape[0] == channels else {
            throw ctx.invalid("group \(group) does not fit X channels \(channels) and W \(w.shape)")
        }
        let outChannels = w.shape[1] * group
        let kernel = Array(w.shape[2...])
        if let declared = try ctx.node.ints("kernel_shape"), declared != kernel {
            throw ctx.invalid("kernel_shape \(declared) does not match W \(w.shape)")
        }
        guard !xValues.isEmpty, !wValues.isEmpty else { throw ctx.invalid("X \(x.shape) and W \(w.shape) must not be empty") }
        let spatial = Array(x.shape[2...])
        // output_shape may be given for the spatial axes only or for the whole output.
        var outputShape = try ctx.node.ints("output_shape")
        if let full = outputShape, full.count == x.rank { outputShape = Array(full[2...]) }
        let geometry: WindowGeometry
        do {
            geometry = try ConvTransposeShape.geometry(
                xSpatial: spatial, kernel: kernel, strides: ctx.node.ints("strides"),
                dilations: ctx.node.ints("dilations"), pads: ctx.node.ints("pads"), autoPad: ctx.autoPad(),
                outputPadding: ctx.node.ints("output_padding"), outputShape: outputShape)
        } catch let error as WindowGeometryError {
            throw ctx.invalid(error.description)
        }
        let bias = try ctx.optionalFloatInput(2, matching: x.dtype)
        if let bias, bias.values.count != outChannels {
            throw ctx.invalid("B must have \(outChannels) elements, got shape \(bias.tensor.shape)")
        }
        let shape = ConvTransposeShape(batch: x.shape[0], inputChannels: channels, outputChannels: outChannels,
                                       groups: group, geometry: geometry)
        let y = convTranspose(shape, input: xValues, weights: wValues, bias: bias?.values, threads: ctx.threads)
        return [ctx.floatOutput(y, shape: [x.shape[0], outChannels] + shape.ySpatial, as: x.dtype)]
    }
}
