import QKKernels
import QKTensor

extension KernelContext {
    /// Softmax `yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` (m the maximum),
    /// or LogSoftmax `yᵢ = (xᵢ − m) − ln Σⱼ e^(xⱼ − m)`.
    ///
    /// From opset 13 it runs along `axis` (default −1). Before 13 the input is viewed as 2-D,
    /// `[∏ shape[..<axis], ∏ shape[axis...]]` (axis default 1), and each row is normalised.
    /// Hardmax (`mode == .hardmax`) puts 1 at the first maximum of each slice and 0 elsewhere.
    func softmax(_ mode: SoftmaxMode) throws -> Tensor {
        let x = try input(0)
        let rank = max(x.rank, 1)
        let axis = try node.int("axis", default: opset < 13 ? 1 : -1)
        guard axis >= -rank, axis < rank else {
            throw invalid("axis \(axis) is out of range for rank \(x.rank)")
        }
        let a = axis < 0 ? axis + rank : axis
        let shape = x.rank == 0 ? [1] : x.shape
        let outer = shape[..<a].reduce(1, *)
        let (length, inner) = opset < 13 ? (shape[a...].reduce(1, *), 1) : (shape[a], shape[(a + 1)...].reduce(1, *))
        let plan = SoftmaxPlan(outer: outer, length: length, inner: inner, mode: mode, threads: threads)
        switch x.storage {
        case .float32(let v):
            return Tensor(shape: x.shape, values: inner == 1 && mode != .hardmax ? plan.runRows(v) : plan.run(v))
        case .float64(let v): return Tensor(shape: x.shape, values: plan.run(v))
        case .float16(let v): return Tensor(shape: x.shape, values: plan.run(v.map(Float.init)).map(Float16.init))
        case .bfloat16(let v): return Tensor(shape: x.shape, values: plan.run(v.map(\.floatValue)).map(BFloat16.init))
        default: throw invalid("expects a floating-point tensor, got \(x.dtype)")
        }
    }
}

enum SoftmaxMode { case softmax, logSoftmax, hardmax }

/// The input as `[outer, length, inner]`, normalised along `length`.
private struct SoftmaxPlan {
    let outer: Int, length: Int, inner: Int
    let mode: SoftmaxMode
    let threads: Int

    func run<T: FloatMath>(_ x: [T]) -> [T] {
        let n = x.count
        let lanes = outer * inner
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            guard let dst = out.baseAddress, n > 0 else { initialized = 0; return }
            x.withUnsafeBufferPointer { buffer in
                guard let src = buffer.baseAddress else { return }
                parallelChunks(lanes, threads: n < parallelThreshold ? 1 : threads) { range in
                    for lane in range {
                        let (o, i) = (lane / inner, lane % inner)
                        let base = o * length * inner + i
                        normalise(src + base, dst + base, stride: inner)
                    }
                }
            }
            initialized = n
        }
    }

    /// `run` for float32 when `inner == 1` (each slice a contiguous row), with ``VectorMath``: a vectorised
    /// maximum, `e^(x − m)` stored with its sum in one pass, then a scale by `1/Σ` (or `(x − m) − ln Σ`).
    func runRows(_ x: [Float]) -> [Float] {
        let n = x.count
        let math = VectorMath.best
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            guard let dst = out.baseAddress, n > 0 else { initialized = 0; return }
            x.withUnsafeBufferPointer { buffer in
                guard let src = buffer.baseAddress else { return }
                parallelChunks(outer, threads: n < parallelThreshold ? 1 : threads) { range in
                    for row in range {
                        let (xr, yr) = (src + row * length, dst + row * length)
                        let m = math.max(xr, count: length)
                        let sum = math.expShifted(xr, by: m, yr, count: length)
                        if mode == .logSoftmax {
                            let logSum = Float.logarithm(sum)
                            for j in 0..<length { yr[j] = (xr[j] - m) - logSum }
                        } else {
                            math.scale(yr, by: 1 / sum, count: length)
                        }
                    }
                }
            }
            initialized = n
        }
    }

    private func normalise<T: FloatMath>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, stride: Int) {
        var m = -T.infinity
        var argmax = 0
        for j in 0..<length where x[j * stride] > m || x[j * stride].isNaN && !m.isNaN {
            (m, argmax) = (x[j * stride], j)
        }
        if mode == .hardmax {
            for j in 0..<length { (y + j * stride).initialize(to: j == argmax ? 1 : 0) }
            return
        }
        let logarithmic = mode == .logSoftmax
        var sum: T = 0
        for j in 0..<length {
            let e = T.exponential(x[j * stride] - m)
            if !logarithmic { (y + j * stride).initialize(to: e) }
            sum += e
        }
        if logarithmic {
            // (x − m) − ln Σ, not x − (m + ln Σ): the latter loses ln Σ's digits when |m| is large.
            let logSum = T.logarithm(sum)
            for j in 0..<length { (y + j * stride).initialize(to: (x[j * stride] - m) - logSum) }
        } else {
            let scale = 1 / sum
            for j in 0..<length { y[j * stride] *= scale }
        }
    }
}
