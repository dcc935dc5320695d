import QKGraph
import QKRuntime
import QKTensor

/// The second moments H = (1/P) Σ_p x_p x_pᵀ of the float input columns of Conv/Gemm/MatMul layers over a
/// calibration set (``AdaRound``'s reconstruction error is Σ_c Δ_c H Δ_cᵀ).
enum AdaRoundStatistics {
    /// A layer of the float model whose input is observed.
    struct Layer {
        var node: Node
        /// The Conv kernel's spatial shape (the weight's dimensions after the first two); empty otherwise.
        var kernel: [Int]
    }

    /// H per layer (by node name), K × K row-major in Double, K the layer's weight row width. Runs `model` over
    /// `feeds` in batches of `batchSize` samples.
    static func grams(_ model: Model, layers: [Layer], feeds: [String: Tensor], threads: Int,
                      batchSize: Int = 64) throws -> [String: [Double]] {
        guard !layers.isEmpty else { return [:] }
        var byInput: [String: [Layer]] = [:]
        for layer in layers { byInput[layer.node.inputs[0], default: []].append(layer) }
        var sums: [String: [Double]] = [:]
        var columns: [String: Int] = [:]
        var failure: Error?
        func observe(_ name: String, _ value: Tensor) {
            guard let readers = byInput[name], failure == nil else { return }
            for layer in readers {
                do {
                    let count = try accumulate(layer, value, into: &sums[layer.node.name, default: []])
                    columns[layer.node.name, default: 0] += count
                } catch { failure = error }
            }
        }
        let interpreter = try Interpreter(model: model, threads: threads)
        let total = feeds.values.first?.shape.first ?? 0
        for start in stride(from: 0, to: total, by: batchSize) {
            let batch = feeds.mapValues { $0.rows(start..<min(total, start + batchSize)) }
            for (name, value) in batch.sorted(by: { $0.key < $1.key }) { observe(name, value) }
            _ = try interpreter.run(batch, observe: observe)
            if let failure { throw failure }
        }
        return sums.compactMapValues { $0.isEmpty ? nil : $0 }.reduce(into: [:]) { result, entry in
            let scale = 1 / Double(max(columns[entry.key] ?? 1, 1))
            result[entry.key] = entry.value.map { $0 * scale }
        }
    }

    /// Adds Σ x_p x_pᵀ of one batch of `node`'s input to `sum` (allocated on first use); returns the number of
    /// columns P added.
    static func accumulate(_ layer: Layer, _ value: Tensor, into sum: inout [Double]) throws -> Int {
        let x = value.floatValues, node = layer.node
        if node.opType == "Conv" {
            let ctx = OpContext(node: node, training: false, trainBatchNorm: false, threads: 1, constants: [:])
            guard value.rank >= 3 else { throw ctx.invalid("AdaRound needs an N·C·spatial input, got \(value.shape)") }
            let window = try Window2D(node: node, spatial: Array(value.shape.dropFirst(2)), kernel: layer.kernel, ctx: ctx)
            let channels = value.shape[1], width = channels * window.kH * window.kW, plane = window.outPlane
            if sum.isEmpty { sum = [Double](repeating: 0, count: width * width) }
            var col = [Float](repeating: 0, count: width * plane)
            for n in 0..<value.shape[0] {
                x.withUnsafeBufferPointer { src in
                    col.withUnsafeMutableBufferPointer { dst in
                        window.im2col(src.baseAddress! + n * channels * window.inPlane, channels: channels,
                                      into: dst.baseAddress!, rowStride: plane)
                    }
                }
                addOuterProducts(col, width: width, count: plane, strideWithin: 1, strideBetween: plane, into: &sum)
            }
            return value.shape[0] * plane
        }
        let width = value.shape.last ?? 1
        let rows = x.count / max(width, 1)
        if sum.isEmpty { sum = [Double](repeating: 0, count: width * width) }
        addOuterProducts(x, width: width, count: rows, strideWithin: width, strideBetween: 1, into: &sum)
        return rows
    }

    /// sum[i, j] += Σ_p v[i·strideBetween + p·strideWithin] · v[j·strideBetween + p·strideWithin] (upper
    /// triangle computed, mirrored).
    static func addOuterProducts(_ v: [Float], width: Int, count: Int, strideWithin: Int, strideBetween: Int,
                                 into sum: inout [Double]) {
        v.withUnsafeBufferPointer { v in
            sum.withUnsafeMutableBufferPointer { sum in
                for i in 0..<width {
                    for j in i..<width {
                        var dot = 0.0
                        for p in 0..<count {
                            dot += Double(v[i * strideBetween + p * strideWithin]) * Double(v[j * strideBetween + p * strideWithin])
                        }
                        sum[i * width + j] += dot
                        if i != j { sum[j * width + i] += dot }
                    }
                }
            }
        }
    }
}
