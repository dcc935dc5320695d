extension TrainingOps {
    static let convolutionOps: [String: OpRule] = [
        "Conv": OpRule(forward: convForward, learnableInputs: [1, 2]),
    ]

    /// Grouped 1-D/2-D Conv as im2col + GEMM per group g (columns = images × output positions):
    ///
    ///     Y_g = W_g · col_g (+ B)        dW_g = dY_g · col_gᵀ        dB = Σ_{n,p} dY
    ///     dX  = col2im(W_gᵀ · dY_g)
    static func convForward(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0), w = try ctx.input(inputs, 1), bias = ctx.optionalInput(inputs, 2)
        guard x.rank == 3 || x.rank == 4, w.rank == x.rank else {
            throw ctx.invalid("Conv training supports 1-D and 2-D convolutions, got X \(x.shape), W \(w.shape)")
        }
        let groups = try ctx.node.int("group", default: 1)
        let (n, c, m) = (x.shape[0], x.shape[1], w.shape[0])
        guard groups >= 1, c % groups == 0, m % groups == 0, w.shape[1] == c / groups else {
            throw ctx.invalid("Conv weight \(w.shape) does not fit input \(x.shape) with group \(groups)")
        }
        if let bias, bias.count != m { throw ctx.invalid("Conv bias has \(bias.count) values, expected \(m)") }
        let kernel = Array(w.shape.dropFirst(2))
        if let declared = try ctx.node.ints("kernel_shape"), declared != kernel {
            throw ctx.invalid("kernel_shape \(declared) does not match the weight \(w.shape)")
        }
        let window = try Window2D(node: ctx.node, spatial: Array(x.shape.dropFirst(2)), kernel: kernel, ctx: ctx)
        let (cg, mg, plane) = (c / groups, m / groups, window.outPlane)
        let rows = cg * window.kH * window.kW, columns = n * plane
        let threads = ctx.threads
        var cols: [[Float]] = []
        var y = [Float](repeating: 0, count: n * m * plane)
        for g in 0..<groups {
            var col = [Float](repeating: 0, count: rows * columns)
            x.values.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer { cp in
                    for image in 0..<n {
                        window.im2col(xp.baseAddress! + (image * c + g * cg) * window.inPlane, channels: cg,
                                      into: cp.baseAddress! + image * plane, rowStride: columns)
                    }
                }
            }
            let wg = Array(w.values[(g * mg * rows)..<((g + 1) * mg * rows)])
            let yg = matmul(wg, transA: false, col, transB: false, m: mg, n: columns, k: rows, threads: threads)
            for image in 0..<n {
                for j in 0..<mg {
                    let channel = g * mg + j
                    let shift = bias?.values[channel] ?? 0
                    let dst = (image * m + channel) * plane, src = j * columns + image * plane
                    for p in 0..<plane { y[dst + p] = yg[src + p] + shift }
                }
            }
            cols.append(col)
        }
        let outShape = x.rank == 4 ? [n, m, window.outH, window.outW] : [n, m, window.outW]
        return OpResult(TrainTensor(shape: outShape, values: y)) { dy, needs in
            var dx = needs[0] ? [Float](repeating: 0, count: x.count) : []
            var dw = needs[1] ? [Float](repeating: 0, count: w.count) : []
            for g in 0..<groups {
                var dyg = [Float](repeating: 0, count: mg * columns)
                for image in 0..<n {
                    for j in 0..<mg {
                        let src = (image * m + g * mg + j) * plane, dst = j * columns + image * plane
                        for p in 0..<plane { dyg[dst + p] = dy.values[src + p] }
                    }
                }
                if needs[1] {
                    let dwg = matmul(dyg, transA: false, cols[g], transB: true, m: mg, n: rows, k: columns, threads: threads)
                    dw.replaceSubrange((g * mg * rows)..<((g + 1) * mg * rows), with: dwg)
                }
                if needs[0] {
                    let wg = Array(w.values[(g * mg * rows)..<((g + 1) * mg * rows)])
                    let dcol = matmul(wg, transA: true, dyg, transB: false, m: rows, n: columns, k: mg, threads: threads)
                    dcol.withUnsafeBufferPointer { cp in
                        dx.withUnsafeMutableBufferPointer { xp in
                            for image in 0..<n {
                                window.col2im(cp.baseAddress! + image * plane, channels: cg,
                                              into: xp.baseAddress! + (image * c + g * cg) * window.inPlane,
                                              rowStride: columns)
                            }
                        }
                    }
                }
            }
            var grads: [TrainTensor?] = [needs[0] ? TrainTensor(shape: x.shape, values: dx) : nil,
                                         needs[1] ? TrainTensor(shape: w.shape, values: dw) : nil]
            if let bias, needs.count > 2, needs[2] {
                var db = [Float](repeating: 0, count: m)
                for image in 0..<n {
                    for channel in 0..<m {
                        let base = (image * m + channel) * plane
                        var sum: Float = 0
                        for p in 0..<plane { sum += dy.values[base + p] }
                        db[channel] += sum
                    }
                }
                grads.append(TrainTensor(shape: bias.shape, values: db))
            }
            return grads
        }
    }
}
