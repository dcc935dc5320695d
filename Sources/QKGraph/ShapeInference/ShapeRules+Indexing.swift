import QKTensor

/// Shape functions of operators that select, join or grow elements: Concat, Split, Slice, Gather, Pad and Resize.
extension ShapeInference {
    static let indexingRules: [String: ShapeRule] = [
        "Concat": concat,
        "Split": split,
        "Slice": slice,
        "Gather": gather,
        "Pad": pad,
        "Resize": resize,
        "GatherElements": { context in [context.output(context.dtype(0), context.shape(1))] },
    ]

    /// Inputs joined along `axis`: other dimensions must agree, the axis sizes add up.
    static let concat: ShapeRule = { context in
        let dtype = context.inputs.lazy.compactMap { $0?.dtype }.first
        let shapes = context.inputs.compactMap { $0?.shape }
        guard shapes.count == context.inputs.count, let first = shapes.first else { return [context.output(dtype, nil)] }
        guard shapes.allSatisfy({ $0.count == first.count }) else {
            throw context.failure("inputs have different ranks: \(shapes.map(describe).joined(separator: ", "))")
        }
        let axis = try context.normalizedAxis(try context.node.required("axis", context.node.int), rank: first.count)
        var shape = first
        for other in shapes.dropFirst() {
            for index in shape.indices {
                if index == axis {
                    shape[index] = shape[index] + other[index]
                } else if let merged = Dimension.merge(shape[index], other[index]) {
                    shape[index] = merged
                } else {
                    throw context.failure("dimension \(index) differs: \(shapes.map(describe).joined(separator: ", "))")
                }
            }
        }
        var output = context.output(dtype, shape)
        let pieces = context.inputs.compactMap { $0?.data }
        if first.count == 1, pieces.count == context.inputs.count { output.data = pieces.flatMap { $0 } }
        return [output]
    }

    /// Parts of `axis`: sizes from `split` (attribute before opset 13, input 1 from 13), else equal parts over the
    /// outputs (`num_outputs` from opset 18, the last part smaller when the size does not divide).
    static let split: ShapeRule = { context in
        let dtype = context.dtype(0)
        let outputs = context.node.outputs.count
        guard let input = context.shape(0) else { return Array(repeating: context.output(dtype, nil), count: outputs) }
        let axis = try context.normalizedAxis(try context.node.int("axis", default: 0), rank: input.count)
        let parts: [Dimension]
        if let sizes = try context.axes(attribute: "split", input: 1, inputSince: 13) {
            parts = sizes.map { $0.map { .known($0) } } ?? Array(repeating: .unknown, count: outputs)
            if let sizes, let total = input[axis].value,
               sizes.reduce(Dimension.known(0), { $0 + .known($1) }) != .known(total) {
                throw context.failure("split sizes \(sizes) do not add up to dimension \(axis) of \(describe(input))")
            }
        } else if let total = input[axis].value {
            let count = try context.node.int("num_outputs", default: outputs)
            guard count >= 1, count <= max(outputs, 1) else {
                throw context.failure("cannot split into \(count) parts with \(outputs) outputs")
            }
            let part = total / count + (total % count == 0 ? 0 : 1)
            parts = (0..<count).map { .known(min(part, max(total - $0 * part, 0))) }
        } else {
            parts = Array(repeating: .unknown, count: outputs)
        }
        return parts.map { part in
            var shape = input
            shape[axis] = part
            return context.output(dtype, shape)
        }
    }

    /// Elements `start, start + step, …` before `end` along each axis, with ONNX's clamping of out-of-range
    /// bounds (attributes before opset 10, inputs `starts, ends, axes, steps` from 10). Data is sliced too.
    static let slice: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
        let node = context.node
        let starts, ends, axes, steps: [Int]?
        if context.opset < 10 {
            starts = try node.ints("starts")
            ends = try node.ints("ends")
            axes = try node.ints("axes") ?? starts.map { Array(0..<$0.count) }
            steps = starts.map { Array(repeating: 1, count: $0.count) }
        } else {
            starts = context.ints(1)
            ends = context.ints(2)
            axes = context.has(3) ? context.ints(3) : starts.map { Array(0..<$0.count) }
            steps = context.has(4) ? context.ints(4) : starts.map { Array(repeating: 1, count: $0.count) }
        }
        guard let axes else { return [context.output(dtype, input.map { _ in .unknown })] }
        var shape = input
        let normalizedAxes = try axes.map { try context.normalizedAxis($0, rank: input.count) }
        guard let starts, let ends, let steps, starts.count == axes.count, ends.count == axes.count,
              steps.count == axes.count else {
            for axis in normalizedAxes { shape[axis] = .unknown }
            return [context.output(dtype, shape)]
        }
        var selection: [Int]?
        for (i, axis) in normalizedAxes.enumerated() {
            guard steps[i] != 0 else { throw context.failure("step 0 on axis \(axis)") }
            guard let size = input[axis].value else {
                let whole = steps[i] == 1 && starts[i] == 0 && ends[i] >= Int(Int32.max)
                shape[axis] = whole ? input[axis] : .unknown
                continue
            }
            let (first, count) = sliceRange(size: size, start: starts[i], end: ends[i], step: steps[i])
            shape[axis] = .known(count)
            if input.count == 1, context.input(0).data != nil { selection = (0..<count).map { first + $0 * steps[i] } }
        }
        var output = context.output(dtype, shape)
        if let data = context.input(0).data, let selection { output.data = selection.map { data[$0] } }
        else if input.count == 1, normalizedAxes.isEmpty { output.data = context.input(0).data }
        return [output]
    }

    /// The first index and the count of elements a slice picks from an axis of `size`, with ONNX clamping:
    /// negative bounds count from the end, then start is clamped to [0, size] (step > 0) or [0, size − 1]
    /// (step < 0) and end to [0, size] or [−1, size − 1]; count = max(0, ⌈(end − start) / step⌉).
    static func sliceRange(size: Int, start: Int, end: Int, step: Int) -> (first: Int, count: Int) {
        let from = start < 0 ? start + size : start
        let to = end < 0 ? end + size : end
        let first = step > 0 ? min(max(from, 0), size) : min(max(from, 0), size - 1)
        let last = step > 0 ? min(max(to, 0), size) : min(max(to, -1), size - 1)
        let span = step > 0 ? last - first : first - last
        let stepSize = step == Int.min ? Int.max : abs(step)
        return (first, span <= 0 ? 0 : span / stepSize + (span % stepSize == 0 ? 0 : 1))
    }

    /// `data[:axis] + indices.shape + data[axis+1:]`; data is gathered when both operands carry it.
    static let gather: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0), let indices = context.shape(1) else { return [context.output(dtype, nil)] }
        let axis = try context.normalizedAxis(try context.node.int("axis", default: 0), rank: input.count)
        var output = context.output(dtype, Array(input[..<axis]) + indices + Array(input[(axis + 1)...]))
        if input.count == 1, let data = context.input(0).data, let picks = context.ints(1) {
            output.data = try picks.map { index in
                let position = index < 0 ? index + data.count : index
                guard data.indices.contains(position) else {
                    throw context.failure("index \(index) is out of range for \(describe(input))")
                }
                return data[position]
            }
        }
        return [output]
    }

    /// Each padded axis grows by `pads[begin] + pads[end]` (attribute before opset 11, input 1 from 11, with an
    /// `axes` input from opset 18).
    static let pad: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
        let pads = context.opset < 11 ? try context.node.ints("pads") ?? context.node.ints("paddings") : context.ints(1)
        let axes = context.opset >= 18 && context.has(3) ? context.ints(3) : Array(input.indices)
        guard let pads, let axes else { return [context.output(dtype, input.map { _ in .unknown })] }
        guard pads.count == 2 * axes.count else {
            throw context.failure("pads \(pads) do not match \(axes.count) axes of \(describe(input))")
        }
        var shape = input
        for (i, axis) in try axes.map({ try context.normalizedAxis($0, rank: input.count) }).enumerated() {
            shape[axis] = shape[axis] + .known(pads[i]) + .known(pads[i + axes.count])
        }
        return [context.output(dtype, shape)]
    }

    /// Output sizes from `sizes`, else ⌊in · scale⌋ from `scales` (inputs X, roi, scales, sizes from opset 11;
    /// X, scales in opset 10). With `keep_aspect_ratio_policy` (opset 18) one scale, the min (`not_larger`) or
    /// max (`not_smaller`) of sizes / in, gives ⌊in · scale + 0.5⌋ on the resized axes.
    static let resize: ShapeRule = { context in
        let dtype = context.dtype(0)
        guard let input = context.shape(0) else { return [context.output(dtype, nil)] }
        let (scalesIndex, sizesIndex) = context.opset < 11 ? (1, -1) : (2, 3)
        let axes = try context.node.ints("axes").map { try $0.map { try context.normalizedAxis($0, rank: input.count) } }
            ?? Array(input.indices)
        var shape = input
        if sizesIndex > 0, context.has(sizesIndex), context.shape(sizesIndex)?.first?.value != 0 {
            guard let sizes = context.input(sizesIndex).data, sizes.count == axes.count else {
                for axis in axes { shape[axis] = .unknown }
                return [context.output(dtype, shape)]
            }
            let policy = try context.node.string("keep_aspect_ratio_policy", default: "stretch")
            let ratios = zip(axes, sizes).compactMap { axis, size in
                size.value.flatMap { wanted in input[axis].value.map { Double(wanted) / Double($0) } }
            }
            let keep = policy == "not_larger" ? ratios.min() : policy == "not_smaller" ? ratios.max() : nil
            for (axis, size) in zip(axes, sizes) {
                if let keep, ratios.count == axes.count, let size = input[axis].value {
                    shape[axis] = scaledSize(Double(size), keep, roundingHalfUp: true)
                } else {
                    shape[axis] = policy == "stretch" ? size : .unknown
                }
            }
            return [context.output(dtype, shape)]
        }
        guard let scales = context.floats(scalesIndex), scales.count == axes.count else {
            for axis in axes { shape[axis] = .unknown }
            return [context.output(dtype, shape)]
        }
        for (axis, scale) in zip(axes, scales) {
            shape[axis] = scale == 1 ? input[axis] : input[axis].value.map { scaledSize(Double($0), Double(scale)) } ?? .unknown
        }
        return [context.output(dtype, shape)]
    }

    /// ⌊size · scale⌋ (⌊size · scale + 0.5⌋ when rounding half up); unknown when not a finite size below 2⁵³.
    static func scaledSize(_ size: Double, _ scale: Double, roundingHalfUp: Bool = false) -> Dimension {
        let scaled = (size * scale + (roundingHalfUp ? 0.5 : 0)).rounded(.down)
        guard scaled.isFinite, scaled >= 0, scaled < 0x1p53 else { return .unknown }
        return .known(Int(scaled))
    }
}
