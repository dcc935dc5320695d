import QKKernels
import QKTensor

/// IntegerConv (im2row + integer GEMM against weights packed at load time) and IntegerMatMul.
extension OpTable {
    /// IntegerConv: QLinearConv's inputs and Conv's attributes (see ``integerKernels``); each image and group
    /// is laid out as P×K rows of centred input taps (padding = 0 after centring) and multiplied by the packed
    /// M×K weights.
    static let prepareIntegerConv: KernelPreparer = { prep in
        let w = try prep.input(3)
        guard w.rank >= 3, w.count > 0 else { throw prep.invalid("w must be a non-empty M×C/group×kernel tensor, got \(w.shape)") }
        let group = try prep.node.int("group", default: 1)
        let outChannels = w.shape[0], channelsPerGroup = w.shape[1], kernel = Array(w.shape[2...])
        guard group > 0, outChannels % group == 0 else { throw prep.invalid("group \(group) does not divide \(outChannels) output channels") }
        if let declared = try prep.node.ints("kernel_shape"), declared != kernel {
            throw prep.invalid("kernel_shape \(declared) does not match w \(w.shape)")
        }
        let k = channelsPerGroup * kernel.reduce(1, *)
        let parameters = try integerLinearParameters(prep, weights: w, channels: outChannels, alpha: 1)
        let wZero = try prep.zeroPointInput(5, "w_zero_point", matching: w.dtype).values
        let packed = Int8Backend.pack(int32Values(w) ?? [], n: outChannels, k: k, storedNByK: true, zeroPoints: wZero)
        return { ctx in
            let (x, centred) = try centredInput(ctx, parameters)
            guard x.rank == w.rank, x.shape[1] == channelsPerGroup * group else {
                throw ctx.invalid("x \(x.shape) does not fit w \(w.shape) with group \(group)")
            }
            let geometry = try ctx.windowGeometry(spatial: Array(x.shape[2...]), kernel: kernel)
            let batch = x.shape[0], pixels = geometry.outputSize, perGroup = outChannels / group
            let window = PaddedWindow(geometry)
            let tasks = batch * group, outer = tasks >= ctx.threads
            let shape = [batch, outChannels] + geometry.output
            return [integerOutput(parameters.stage, count: batch * outChannels * pixels, shape: shape) { out in
                centred.withUnsafeBufferPointer { px in
                    parallelChunks(tasks, threads: outer ? ctx.threads : 1) { range in
                        var rows = [Int16](repeating: 0, count: pixels * k)
                        for task in range {
                            let image = task / group, g = task % group
                            let plane = px.baseAddress! + (image * x.shape[1] + g * channelsPerGroup) * window.inputSize
                            rows.withUnsafeMutableBufferPointer { window.rows(from: plane, channels: channelsPerGroup, into: $0.baseAddress!) }
                            rows.withUnsafeBufferPointer { pr in
                                out.gemm(a: pr.baseAddress!, m: pixels, weights: packed,
                                         columns: (g * perGroup)..<((g + 1) * perGroup), bias: parameters.bias,
                                         stage: parameters.stage, offset: (image * outChannels + g * perGroup) * pixels,
                                         rowStride: 1, columnStride: pixels, threads: outer ? 1 : ctx.threads)
                            }
                        }
                    }
                }
            }]
        }
    }

    /// IntegerMatMul: A (…×M×K) times B (…×K×N), both 8-bit at run time with per-tensor parameters
    /// (QLinearMatMul's inputs), batch axes broadcast; requantized with a fixed-point multiplier.
    static let integerMatMulKernel: OpKernel = { ctx in
        let a = try quantizedOperand(ctx, 0, "a"), b = try quantizedOperand(ctx, 3, "b")
        let (as_, bs) = (a.tensor.shape, b.tensor.shape)
        guard as_.count >= 2, bs.count >= 2, as_[as_.count - 1] == bs[bs.count - 2] else {
            throw ctx.invalid("a \(as_) and b \(bs) do not multiply")
        }
        let output = try outputQuantization(ctx, 6, "y", fallback: a.tensor.dtype)
        let stage = OutputStage(accScales: [Double(a.scale) * Double(b.scale)], output: output, clipMin: nil, clipMax: nil)
        let (m, k, n) = (as_[as_.count - 2], as_[as_.count - 1], bs[bs.count - 1])
        let batches = try MatMulBatches(ctx, aBatch: Array(as_.dropLast(2)), bBatch: Array(bs.dropLast(2)))
        let centredA = Int8Backend.centred(a.tensor, zeroPoint: a.zeroPoint)
        let bValues = b.values
        let outer = batches.count >= ctx.threads
        return [integerOutput(stage, count: batches.count * m * n, shape: batches.shape + [m, n]) { out in
            centredA.withUnsafeBufferPointer { pa in
                parallelChunks(batches.count, threads: outer ? ctx.threads : 1) { range in
                    for batch in range {
                        let (ia, ib) = batches.operands(batch)
                        let packed = Int8Backend.pack(bValues, offset: ib * k * n, n: n, k: k, storedNByK: false,
                                                      zeroPoints: [b.zeroPoint])
                        out.gemm(a: pa.baseAddress! + ia * m * k, m: m, weights: packed, columns: 0..<n, bias: nil,
                                 stage: stage, offset: batch * m * n, rowStride: n, columnStride: 1,
                                 threads: outer ? 1 : ctx.threads)
                    }
                }
            }
        }]
    }
}

/// A Conv window over one group's input planes, promoted to 3 spatial axes, that writes the P×K im2row matrix
/// (K = channels · kernel taps, in the weights' order; taps in the padding are 0).
struct PaddedWindow {
    let input: [Int], output: [Int], kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]
    let inputSize: Int

    init(_ g: WindowGeometry) {
        let extra = 3 - g.rank
        func promote(_ v: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: extra) + v }
        input = promote(g.input, 1)
        output = promote(g.output, 1)
        kernel = promote(g.kernel, 1)
        strides = promote(g.strides, 1)
        dilations = promote(g.dilations, 1)
        pads = promote(g.padsBegin, 0)
        inputSize = g.inputSize
    }

    func rows(from x: UnsafePointer<Int16>, channels: Int, into rows: UnsafeMutablePointer<Int16>) {
        let taps = kernel[0] * kernel[1] * kernel[2], k = channels * taps
        var p = 0
        for od in 0..<output[0] {
            for oh in 0..<output[1] {
                for ow in 0..<output[2] {
                    let row = rows + p * k
                    for c in 0..<channels {
                        let plane = x + c * inputSize
                        var t = c * taps
                        for kd in 0..<kernel[0] {
                            let id = od * strides[0] - pads[0] + kd * dilations[0]
                            for kh in 0..<kernel[1] {
                                let ih = oh * strides[1] - pads[1] + kh * dilations[1]
                                let inside = id >= 0 && id < input[0] && ih >= 0 && ih < input[1]
                                let line = plane + (id * input[1] + ih) * input[2]
                                for kw in 0..<kernel[2] {
                                    let iw = ow * strides[2] - pads[2] + kw * dilations[2]
                                    row[t] = inside && iw >= 0 && iw < input[2] ? line[iw] : 0
                                    t += 1
                                }
                            }
                        }
                    }
                    p += 1
                }
            }
        }
    }
}
