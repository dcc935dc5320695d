extension TrainingOps {
    static let poolingOps: [String: OpRule] = [
        "MaxPool": OpRule(forward: maxPool, learnableInputs: []),
        "AveragePool": OpRule(forward: averagePool, learnableInputs: []),
        "GlobalAveragePool": OpRule(forward: globalAveragePool, learnableInputs: []),
    ]

    private static func poolWindow(_ ctx: OpContext, _ x: TrainTensor) throws -> Window2D {
        guard x.rank == 3 || x.rank == 4 else { throw ctx.invalid("pooling training supports 1-D and 2-D, got \(x.shape)") }
        let kernel = try ctx.node.required("kernel_shape", ctx.node.ints)
        return try Window2D(node: ctx.node, spatial: Array(x.shape.dropFirst(2)), kernel: kernel, ctx: ctx)
    }

    private static func pooledShape(_ x: TrainTensor, _ window: Window2D) -> [Int] {
        Array(x.shape.prefix(2)) + (x.rank == 4 ? [window.outH, window.outW] : [window.outW])
    }

    /// MaxPool: y[o] = max over the window's taps inside the input (the first maximum in row-major tap order
    /// wins); dx[argmax(o)] += dy[o].
    static func maxPool(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        if ctx.node.outputs.count > 1, !ctx.node.outputs[1].isEmpty {
            throw ctx.invalid("MaxPool's Indices output is not supported in training")
        }
        let window = try poolWindow(ctx, x)
        let planes = x.shape[0] * x.shape[1]
        var y = [Float](repeating: -.infinity, count: planes * window.outPlane)
        var argmax = [Int](repeating: -1, count: y.count)
        for plane in 0..<planes {
            let inBase = plane * window.inPlane, outBase = plane * window.outPlane
            window.forEachTap { o, i in
                if x.values[inBase + i] > y[outBase + o] || argmax[outBase + o] < 0 {
                    y[outBase + o] = x.values[inBase + i]
                    argmax[outBase + o] = inBase + i
                }
            }
        }
        for o in y.indices where argmax[o] < 0 { y[o] = 0 }
        return OpResult(TrainTensor(shape: pooledShape(x, window), values: y)) { dy, _ in
            var dx = [Float](repeating: 0, count: x.count)
            for o in argmax.indices where argmax[o] >= 0 { dx[argmax[o]] += dy.values[o] }
            return [TrainTensor(shape: x.shape, values: dx)]
        }
    }

    /// AveragePool: y[o] = Σ taps / count, count = taps inside the input (or inside the padded input with
    /// count_include_pad); dx[tap] += dy[o] / count.
    static func averagePool(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        let window = try poolWindow(ctx, x)
        let includePad = try ctx.node.int("count_include_pad", default: 0) != 0
        var counts = [Float](repeating: 0, count: window.outPlane)
        for oy in 0..<window.outH {
            for ox in 0..<window.outW {
                var count = 0
                for ki in 0..<window.kH {
                    let iy = oy * window.strideH - window.padTop + ki * window.dilationH
                    for kj in 0..<window.kW {
                        let ix = ox * window.strideW - window.padLeft + kj * window.dilationW
                        let inside = includePad
                            ? iy >= -window.padTop && iy < window.paddedH - window.padTop
                                && ix >= -window.padLeft && ix < window.paddedW - window.padLeft
                            : iy >= 0 && iy < window.inH && ix >= 0 && ix < window.inW
                        if inside { count += 1 }
                    }
                }
                counts[oy * window.outW + ox] = Float(max(count, 1))
            }
        }
        let planes = x.shape[0] * x.shape[1]
        var y = [Float](repeating: 0, count: planes * window.outPlane)
        for plane in 0..<planes {
            let inBase = plane * window.inPlane, outBase = plane * window.outPlane
            window.forEachTap { o, i in y[outBase + o] += x.values[inBase + i] }
            for o in 0..<window.outPlane { y[outBase + o] /= counts[o] }
        }
        return OpResult(TrainTensor(shape: pooledShape(x, window), values: y)) { dy, _ in
            var dx = [Float](repeating: 0, count: x.count)
            for plane in 0..<planes {
                let inBase = plane * window.inPlane, outBase = plane * window.outPlane
                window.forEachTap { o, i in dx[inBase + i] += dy.values[outBase + o] / counts[o] }
            }
            return [TrainTensor(shape: x.shape, values: dx)]
        }
    }

    /// GlobalAveragePool: y[n, c] = mean over the spatial axes; dx = dy / (spatial size).
    static func globalAveragePool(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        guard x.rank >= 3 else { throw ctx.invalid("GlobalAveragePool needs [N, C, spatial…], got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1], size = x.count / max(planes, 1)
        var y = [Float](repeating: 0, count: planes)
        for plane in 0..<planes {
            var sum: Float = 0
            for i in 0..<size { sum += x.values[plane * size + i] }
            y[plane] = sum / Float(size)
        }
        let shape = Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2)
        return OpResult(TrainTensor(shape: shape, values: y)) { dy, _ in
            var dx = [Float](repeating: 0, count: x.count)
            for plane in 0..<planes {
                let g = dy.values[plane] / Float(size)
                for i in 0..<size { dx[plane * size + i] = g }
            }
            return [TrainTensor(shape: x.shape, values: dx)]
        }
    }
}
