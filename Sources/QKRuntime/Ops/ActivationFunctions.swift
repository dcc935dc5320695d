import QKKernels
import QKTensor

/// `max(x, 0)`; NaN stays NaN (a branch-free select the compiler vectorises).
struct ReluFunction: NumericFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x < 0 ? 0 : x }
    func integer<T: FixedWidthInteger>(_ x: T) -> T { x > 0 ? x : 0 }
}

/// `x` for `x ≥ 0`, else `α·x` (α = 0.01 by default).
struct LeakyReluFunction: FloatFunction {
    let alpha: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x < 0 ? T(alpha) * x : x }
}

/// `x` for `x ≥ 0`, else `slope·x`; the slope tensor broadcasts to the input.
struct PReluFunction: BinaryFunction {
    func floating<T: FloatMath>(_ x: T, _ slope: T) -> T { x < 0 ? slope * x : x }
    func integer<T: FixedWidthInteger>(_ x: T, _ slope: T) -> T { x < 0 ? slope &* x : x }
}

/// `x` for `x > α`, else 0 (α = 1 by default).
struct ThresholdedReluFunction: FloatFunction {
    let alpha: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x > T(alpha) ? x : 0 }
}

/// `min(max(x, low), high)` (so `high` wins when `low > high`, as numpy `clip`); NaN stays NaN.
struct ClipFunction: NumericFunction {
    let low: Double, high: Double
    let lowInteger: Int64, highInteger: Int64

    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        let raised = x < T(low) ? T(low) : x
        return raised > T(high) ? T(high) : raised
    }

    func integer<T: FixedWidthInteger>(_ x: T) -> T {
        Swift.min(Swift.max(x, T(clamping: lowInteger)), T(clamping: highInteger))
    }
}

/// `1 / (1 + e^−x)`, evaluated as `eˣ / (1 + eˣ)` for negative `x` so neither form overflows.
struct SigmoidFunction: VectorizedFloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exponential(-x)) }
        let e = T.exponential(x)
        return e / (1 + e)
    }

    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        math.sigmoid(x, y, count: count)
    }
}

struct TanhFunction: VectorizedFloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { T.hyperbolicTangent(x) }
    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        math.tanh(x, y, count: count)
    }
}

/// Gelu. `none`: `x·(1 + erf(x/√2))/2`. `tanh`: `x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2`.
struct GeluFunction: VectorizedFloatFunction {
    let tanhApproximation: Bool
    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        if tanhApproximation {
            let inner = T(0.7978845608028654) * (x + T(0.044715) * x * x * x)
            return x * (1 + T.hyperbolicTangent(inner)) / 2
        }
        return x * (1 + T.errorFunction(x * T(0.7071067811865476))) / 2
    }

    /// The tanh form: the inner polynomial in a scalar pass, then vectorised tanh in place, then the outer product.
    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        guard tanhApproximation else { return math.gelu(x, y, count: count) }
        for i in 0..<count { y[i] = 0.7978845608028654 * (x[i] + 0.044715 * x[i] * x[i] * x[i]) }
        math.tanh(y, y, count: count)
        for i in 0..<count { y[i] = x[i] * (1 + y[i]) / 2 }
    }
}

/// `max(0, min(1, α·x + β))` (α = 0.2, β = 0.5 by default).
struct HardSigmoidFunction: FloatFunction {
    let alpha: Float, beta: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T { Swift.max(0, Swift.min(1, T(alpha) * x + T(beta))) }
}

/// `x · max(0, min(1, x/6 + 1/2))`.
struct HardSwishFunction: FloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x * Swift.max(0, Swift.min(1, x / 6 + T(0.5))) }
}

/// `x` for `x > 0`, else `α·(eˣ − 1)` (α = 1 by default).
struct EluFunction: FloatFunction {
    let alpha: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x > 0 ? x : T(alpha) * T.expMinusOne(x) }
}

/// `γ·x` for `x > 0`, else `γ·α·(eˣ − 1)` (α ≈ 1.6733, γ ≈ 1.0507 by default).
struct SeluFunction: FloatFunction {
    let alpha: Float, gamma: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        x > 0 ? T(gamma) * x : T(gamma) * T(alpha) * T.expMinusOne(x)
    }
}

/// `max(0, x) + min(0, α·(e^(x/α) − 1))` (α = 1 by default).
struct CeluFunction: FloatFunction {
    let alpha: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        Swift.max(0, x) + Swift.min(0, T(alpha) * T.expMinusOne(x / T(alpha)))
    }
}

/// `ln(1 + eˣ)`, as `x + ln(1 + e^−x)` for positive `x` so large inputs do not overflow.
struct SoftplusFunction: FloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T {
        x > 0 ? x + T.logOnePlus(T.exponential(-x)) : T.logOnePlus(T.exponential(x))
    }
}

/// `x / (1 + |x|)`.
struct SoftsignFunction: FloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x / (1 + x.magnitude) }
}

/// `x · tanh(softplus(x))`.
struct MishFunction: FloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x * T.hyperbolicTangent(SoftplusFunction()(x)) }
}
