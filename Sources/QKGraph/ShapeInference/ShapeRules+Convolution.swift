import QKTensor

/// Shape functions of convolution and pooling.
///
/// With effective kernel e = (k − 1) · dilation + 1, per spatial axis:
///
/// | auto_pad              | output size                                             |
/// |-----------------------|---------------------------------------------------------|
/// | NOTSET                | ⌊(in + pad_begin + pad_end − e) / stride⌋ + 1 (⌈ ⌉ with ceil_mode) |
/// | VALID                 | ⌊(in − e) / stride⌋ + 1                                 |
/// | SAME_UPPER/SAME_LOWER | ⌈in / stride⌉                                           |
///
/// With ceil_mode a last window that would start inside the end padding is dropped, as ONNX Runtime and the
/// ONNX reference do. ConvTranspose: stride · (in − 1) + output_padding + e − pad_begin − pad_end, or
/// in · stride with SAME padding, or the `output_shape` attribute.
extension ShapeInference {
    static let convolutionRules: [String: ShapeRule] = [
        "Conv": convolution(x: 0, w: 1, dtype: { $0.dtype(0) }),
        "ConvInteger": convolution(x: 0, w: 1, dtype: { _ in .int32 }),
        "QLinearConv": convolution(x: 0, w: 3, dtype: { $0.dtype(7) ?? $0.dtype(0) }),
        "ConvTranspose": convTranspose,
        "MaxPool": pooling(indices: true),
        "AveragePool": pooling(indices: false),
        "GlobalAveragePool": globalPooling,
        "GlobalMaxPool": globalPooling,
    ]

    /// Window attributes shared by convolution and pooling, for `spatialRank` spatial axes.
    struct WindowGeometry {
        var kernel: [Int]
        var strides: [Int]
        var dilations: [Int]
        var pads: [Int]
        var autoPad: String
        var ceilMode: Bool

        init(_ node: Node, kernel: [Int], spatialRank: Int) throws {
            self.kernel = kernel
            strides = try node.ints("strides") ?? Array(repeating: 1, count: spatialRank)
            dilations = try node.ints("dilations") ?? Array(repeating: 1, count: spatialRank)
            pads = try node.ints("pads") ?? Array(repeating: 0, count: 2 * spatialRank)
            autoPad = try node.string("auto_pad", default: "NOTSET")
            ceilMode = try node.int("ceil_mode", default: 0) != 0
            guard kernel.count == spatialRank, strides.count == spatialRank, dilations.count == spatialRank,
                  pads.count == 2 * spatialRank else {
                throw GraphError.shapeInference(
                    node: node.displayName,
                    message: "\(node.opType): kernel \(kernel), strides \(strides), dilations \(dilations) and pads \(pads) do not match \(spatialRank) spatial axes")
            }
            let limit = Int(Int32.max)
            guard (strides + dilations + kernel).allSatisfy({ $0 > 0 && $0 <= limit }),
                  pads.allSatisfy({ $0 >= 0 && $0 <= limit }) else {
                throw GraphError.shapeInference(
                    node: node.displayName,
                    message: "\(node.opType): kernel \(kernel), strides \(strides), dilations \(dilations) must be positive and pads \(pads) non-negative (all below 2³¹)")
            }
        }

        /// Larger spatial sizes are left unknown rather than risk overflow.
        static let largestSize = 1 << 40

        /// Output size of spatial axis `axis` for an input of size `input`.
        func outputSize(_ input: Dimension, axis: Int) -> Dimension {
            let stride = strides[axis], effective = (kernel[axis] - 1) * dilations[axis] + 1
            let begin = pads[axis], end = pads[axis + kernel.count]
            let same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"
            guard let size = input.value, size <= WindowGeometry.largestSize else {
                let keepsSize = stride == 1 && (same || (autoPad != "VALID" && effective - 1 == begin + end)
                    || (autoPad == "VALID" && effective == 1))
                return keepsSize ? input : .unknown
            }
            if same { return .known((size + stride - 1) / stride) }
            let padded = autoPad == "VALID" ? size : size + begin + end
            let span = padded - effective
            guard span >= 0 else { return .known(0) }
            guard ceilMode, autoPad != "VALID" else { return .known(span / stride + 1) }
            var count = (span + stride - 1) / stride + 1
            if (count - 1) * stride >= size + begin { count -= 1 }
            return .known(count)
        }
    }

    /// `[N, C, D…] ⊛ [M, C/group, k…] → [N, M, D'…]`, checking C against the weight when both are known.
    static func convolution(x: Int, w: Int, dtype: @escaping @Sendable (ShapeRuleContext) -> DType?) -> ShapeRule {
        return { context in
            let outputType = dtype(context)
            guard let input = context.shape(x), let weight = context.shape(w) else {
                let batch = context.shape(x).map { shape in shape.indices.map { $0 == 0 ? shape[0] : .unknown } }
                return [context.output(outputType, batch)]
            }
            guard input.count >= 3, weight.count == input.count else {
                throw context.failure("input \(describe(input)) and weight \(describe(weight)) must have the same rank ≥ 3")
            }
            let group = try context.node.int("group", default: 1)
            let expected = weight[1] * .known(group)
            if let channels = input[1].value, expected.value != nil, expected != .known(channels) {
                throw context.failure("input \(describe(input)) has \(channels) channels but weight \(describe(weight)) with group \(group) expects \(expected)")
            }
            let spatial = Array(input.dropFirst(2))
            let kernel = try context.node.ints("kernel_shape") ?? weight.dropFirst(2).compactMap(\.value)
            guard kernel.count == spatial.count else {
                return [context.output(outputType, [input[0], weight[0]] + spatial.map { _ in .unknown })]
            }
            let geometry = try WindowGeometry(context.node, kernel: kernel, spatialRank: spatial.count)
            let sizes = spatial.indices.map { geometry.outputSize(spatial[$0], axis: $0) }
            return [context.output(outputType, [input[0], weight[0]] + sizes)]
        }
    }

    /// `[N, C, D…]` with weight `[C, M/group, k…]` → `[N, M, D'…]`.
    static let convTranspose: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0), let weight = context.shape(1) else { return [context.output(dtype, nil)] }
        guard input.count >= 3, weight.count == input.count else {
            throw context.failure("input \(describe(input)) and weight \(describe(weight)) must have the same rank ≥ 3")
        }
        let node = context.node
        let group = try node.int("group", default: 1)
        let channels = weight[1] * .known(group)
        let spatial = Array(input.dropFirst(2))
        if let outputShape = try node.ints("output_shape") {
            return [context.output(dtype, [input[0], channels] + outputShape.suffix(spatial.count).map { .known($0) })]
        }
        let kernel = try node.ints("kernel_shape") ?? weight.dropFirst(2).compactMap(\.value)
        guard kernel.count == spatial.count else {
            return [context.output(dtype, [input[0], channels] + spatial.map { _ in .unknown })]
        }
        let geometry = try WindowGeometry(node, kernel: kernel, spatialRank: spatial.count)
        let outputPadding = try node.ints("output_padding") ?? Array(repeating: 0, count: spatial.count)
        let sizes: [Dimension] = spatial.indices.map { axis in
            guard spatial[axis].value != nil, axis < outputPadding.count else { return .unknown }
            let stride = Dimension.known(geometry.strides[axis])
            if geometry.autoPad.hasPrefix("SAME") { return spatial[axis] * stride }
            let effective = (kernel[axis] - 1) * geometry.dilations[axis] + 1
            let pads = geometry.autoPad == "VALID" ? 0 : geometry.pads[axis] + geometry.pads[axis + spatial.count]
            return stride * (spatial[axis] - .known(1)) + .known(outputPadding[axis]) + .known(effective - pads)
        }
        return [context.output(dtype, [input[0], channels] + sizes)]
    }

    /// `[N, C, D…] → [N, C, D'…]` over `kernel_shape`; MaxPool's second output (indices) is int64 of that shape.
    static func pooling(indices: Bool) -> ShapeRule {
        return { context in
            let dtype = context.dtype(0)
            guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
            guard input.count >= 3 else { throw context.failure("input \(describe(input)) must have rank ≥ 3") }
            let kernel = try context.node.required("kernel_shape", context.node.ints)
            let spatial = Array(input.dropFirst(2))
            let geometry = try WindowGeometry(context.node, kernel: kernel, spatialRank: spatial.count)
            let shape = Array(input.prefix(2)) + spatial.indices.map { geometry.outputSize(spatial[$0], axis: $0) }
            return indices ? [context.output(dtype, shape), context.output(.int64, shape)] : [context.output(dtype, shape)]
        }
    }

    /// `[N, C, D…] → [N, C, 1…]`.
    static let globalPooling: ShapeRule = { context in
        guard let input = context.shape(0) else { return [context.output(context.dtype(0), nil)] }
        guard input.count >= 3 else { throw context.failure("input \(describe(input)) must have rank ≥ 3") }
        return [context.output(context.dtype(0), Array(input.prefix(2)) + input.dropFirst(2).map { _ in .known(1) })]
    }
}
