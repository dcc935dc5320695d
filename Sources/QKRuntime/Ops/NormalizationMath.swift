import QKKernels
import QKTensor

/// Shared pieces of the normalization kernels: row statistics, the normalize-and-scale loop, float dtype
/// dispatch and broadcasting of per-feature parameters.
enum NormalizationMath {
    /// Below this many elements a normalization runs on one thread.
    static let parallelThreshold = 1 << 15

    /// Mean μ = Σx/n and inverse standard deviation 1/√(σ² + ε) of `count` contiguous elements, with the
    /// variance computed in a second pass as σ² = Σ(x − μ)²/n (no cancellation from E[x²] − μ²).
    /// When not `centered` (RMSNorm), μ is taken as 0, so the result is (0, 1/√(Σx²/n + ε)).
    @inline(__always)
    static func statistics<F: ReductionFloat>(_ row: UnsafePointer<F>, count: Int, epsilon: F,
                                              centered: Bool) -> (mean: F, invStd: F) {
        let n = F(count)
        let mean = centered ? ReductionFold.foldRow(SumRule.self, row, count: count) / n : 0
        let center = SIMD8<F>(repeating: mean)
        var lanes = SIMD8<F>(repeating: 0)
        var index = 0
        let raw = UnsafeRawPointer(row)
        while index + 8 <= count {
            let d = raw.loadUnaligned(fromByteOffset: index * MemoryLayout<F>.stride, as: SIMD8<F>.self) - center
            lanes += d * d
            index += 8
        }
        var squares = lanes.sum()
        while index < count {
            let d = row[index] - mean
            squares += d * d
            index += 1
        }
        return (mean, 1 / (squares / n + epsilon).squareRoot())
    }

    /// `y[j] = (x[j] − mean) · invStd · scale[j] + bias[j]` for `count` elements (bias optional).
    @inline(__always)
    static func normalize<F: ReductionFloat>(_ x: UnsafePointer<F>, into y: UnsafeMutablePointer<F>, count: Int,
                                             mean: F, invStd: F, scale: UnsafePointer<F>,
                                             bias: UnsafePointer<F>?) {
        if let bias {
            for j in 0..<count { y[j] = (x[j] - mean) * invStd * scale[j] + bias[j] }
        } else {
            for j in 0..<count { y[j] = (x[j] - mean) * invStd * scale[j] }
        }
    }

    /// Runs `float` for float32/float16/bfloat16 input and `double` for float64, converting the first output
    /// (Y) back to the input's dtype; other dtypes throw.
    static func dispatch(_ ctx: KernelContext, _ x: Tensor, float: () throws -> [Tensor],
                         double: () throws -> [Tensor]) throws -> [Tensor] {
        var outputs: [Tensor]
        switch x.dtype {
        case .float64: outputs = try double()
        case .float32, .float16, .bfloat16: outputs = try float()
        default: throw ctx.invalid("\(ctx.node.opType) needs a floating-point input, got \(x.dtype)")
        }
        if let y = outputs.first { outputs[0] = y.converted(to: x.dtype) }
        return outputs
    }

    /// The elements of `tensor` as `F` (converted when the dtype differs).
    static func values<F: ReductionFloat>(_ tensor: Tensor, as type: F.Type) -> [F] {
        if let values = tensor.values(as: F.self) { return values }
        // The conversion yields storage of F's dtype by construction.
        return tensor.converted(to: F.dtype).values(as: F.self) ?? []
    }

    /// `tensor`'s elements broadcast (numpy rules, aligned right) to `target`; nil when not broadcastable.
    static func broadcast<F: ReductionFloat>(_ tensor: Tensor, to target: [Int], as type: F.Type) -> [F]? {
        let values = self.values(tensor, as: F.self)
        let shape = tensor.shape
        if shape == target { return values }
        guard shape.count <= target.count else {
            guard shape.prefix(shape.count - target.count).allSatisfy({ $0 == 1 }) else { return nil }
            return broadcast(values, shape: Array(shape.suffix(target.count)), to: target)
        }
        return broadcast(values, shape: Array(repeating: 1, count: target.count - shape.count) + shape, to: target)
    }

    private static func broadcast<F>(_ values: [F], shape: [Int], to target: [Int]) -> [F]? {
        guard zip(shape, target).allSatisfy({ $0 == $1 || $0 == 1 }) else { return nil }
        let count = target.reduce(1, *)
        guard let first = values.first, count > 0 else { return [] }
        let sourceStrides = zip(Tensor.strides(for: shape), shape).map { $1 == 1 ? 0 : $0 }
        var result = [F](repeating: first, count: count)
        var index = [Int](repeating: 0, count: target.count)
        var source = 0
        for position in 0..<count {
            result[position] = values[source]
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += sourceStrides[axis]
                if index[axis] < target[axis] { break }
                source -= sourceStrides[axis] * target[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// Normalizes each of `rows` contiguous rows of `width` elements of `x` with its own statistics, then
    /// scales and shifts it: row r uses block `r % period` of `scale` and `bias` (each `period · width`
    /// elements), so LayerNorm passes one block and InstanceNorm one block per channel.
    /// `centered` = false skips the mean (RMSNorm). Returns y and the per-row mean and inverse standard deviation.
    static func normalizeRows<F: ReductionFloat>(_ x: [F], rows: Int, width: Int, epsilon: F, scale: [F], bias: [F]?,
                                                 period: Int, centered: Bool = true,
                                                 threads: Int) -> (y: [F], mean: [F], invStd: [F]) {
        precondition(scale.count == period * width && (bias?.count ?? scale.count) == scale.count,
                     "scale and bias must hold period · width elements")
        var y = [F](repeating: 0, count: x.count)
        var means = [F](repeating: 0, count: rows)
        var invStds = [F](repeating: 0, count: rows)
        let workers = x.count >= parallelThreshold ? threads : 1
        let hasBias = bias != nil
        x.withUnsafeBufferPointer { source in
            y.withUnsafeMutableBufferPointer { target in
                means.withUnsafeMutableBufferPointer { meanOut in
                    invStds.withUnsafeMutableBufferPointer { invStdOut in
                        scale.withUnsafeBufferPointer { scaleBuffer in
                            (bias ?? []).withUnsafeBufferPointer { biasBuffer in
                                guard let src = source.baseAddress, let dst = target.baseAddress,
                                      let scales = scaleBuffer.baseAddress, width > 0 else { return }
                                parallelChunks(rows, threads: workers) { range in
                                    for r in range {
                                        let row = src + r * width
                                        let block = (r % period) * width
                                        let (mean, invStd) = statistics(row, count: width, epsilon: epsilon, centered: centered)
                                        normalize(row, into: dst + r * width, count: width, mean: mean, invStd: invStd,
                                                  scale: scales + block, bias: hasBias ? biasBuffer.baseAddress.map { $0 + block } : nil)
                                        meanOut[r] = mean
                                        invStdOut[r] = invStd
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y, means, invStds)
    }
}
