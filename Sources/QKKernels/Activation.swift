import Foundation

/// An elementwise activation applied in a kernel's epilogue (FusedConv / FusedGemm in ONNX Runtime).
///
/// | case                    | f(x)                                  |
/// |-------------------------|---------------------------------------|
/// | identity                | x                                     |
/// | relu                    | max(x, 0)                             |
/// | leakyRelu(alpha)        | x ≥ 0 ? x : alpha · x                 |
/// | clip(min, max)          | min(max(x, min), max)                 |
/// | sigmoid                 | 1 / (1 + e^(−x))                      |
/// | tanh                    | tanh(x)                               |
/// | hardSigmoid(alpha, beta)| max(0, min(1, alpha · x + beta))      |
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyRelu(alpha: Float)
    case clip(min: Float, max: Float)
    case sigmoid
    case tanh
    case hardSigmoid(alpha: Float, beta: Float)

    /// f(x) for one value.
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .identity: x
        case .relu: Swift.max(x, 0)
        case .leakyRelu(let alpha): x < 0 ? alpha * x : x
        case .clip(let low, let high): Swift.min(Swift.max(x, low), high)
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        case .tanh: Foundation.tanh(x)
        case .hardSigmoid(let alpha, let beta): Swift.max(0, Swift.min(1, alpha * x + beta))
        }
    }

    /// Applies f in place to every element.
    public func apply(to values: inout [Float]) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { apply(to: base, count: count) }
        }
    }

    /// Applies f in place to `count` values.
    func apply(to values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        // Branch-free loops for the cheap activations so they vectorize (a data-dependent branch per
        // element mispredicts half the time on real activations).
        case .identity: return
        case .relu: for i in 0..<count { values[i] = Swift.max(values[i], 0) }
        case .leakyRelu(let alpha): for i in 0..<count { values[i] = values[i] < 0 ? alpha * values[i] : values[i] }
        case .clip(let low, let high): for i in 0..<count { values[i] = Swift.min(Swift.max(values[i], low), high) }
        default: for i in 0..<count { values[i] = self(values[i]) }
        }
    }
}

/// The per-channel epilogue of Conv-like kernels on one output plane:
///
///     y[i] ← f(y[i] + bias + sum[i])        (bias and sum optional)
func finishPlane(_ plane: UnsafeMutablePointer<Float>, count: Int, bias: Float?, sum: UnsafePointer<Float>?,
                 activation: Activation) {
    if let bias, bias != 0 {
        for i in 0..<count { plane[i] += bias }
    }
    if let sum {
        for i in 0..<count { plane[i] += sum[i] }
    }
    activation.apply(to: plane, count: count)
}

/// `dst[i] = f(src[i] + bias)` for i < count: a staged output plane copied out with its epilogue in one pass
/// (the same values as copying, then ``finishPlane(_:count:bias:sum:activation:)`` without a sum).
func finishCopy(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int, bias: Float,
                activation: Activation) {
    switch activation {
    case .identity where bias == 0: dst.update(from: src, count: count)
    case .identity: for i in 0..<count { dst[i] = src[i] + bias }
    case .relu where bias == 0: for i in 0..<count { dst[i] = Swift.max(src[i], 0) }
    case .relu: for i in 0..<count { dst[i] = Swift.max(src[i] + bias, 0) }
    default:
        for i in 0..<count { dst[i] = src[i] + bias }
        activation.apply(to: dst, count: count)
    }
}
