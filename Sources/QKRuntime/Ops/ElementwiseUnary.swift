import Foundation
import QKKernels
import QKTensor

/// The one-input floating-point functions, each `y = f(x)`.
struct SqrtFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { x.squareRoot() } }
struct ExpFunction: VectorizedFloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { T.exponential(x) }
    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        math.exp(x, y, count: count)
    }
}
struct LogFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { T.logarithm(x) } }
struct ReciprocalFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { 1 / x } }
struct ErfFunction: VectorizedFloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { T.errorFunction(x) }
    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        math.erf(x, y, count: count)
    }
}
struct FloorFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { x.rounded(.down) } }
struct CeilFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { x.rounded(.up) } }
/// Round half to even: 0.5 → 0, 1.5 → 2, −2.5 → −2.
struct RoundFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { x.rounded(.toNearestOrEven) } }

/// `−x`; integers wrap (`−min = min`, unsigned `−x = 2ⁿ − x`).
struct NegFunction: NumericFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { -x }
    func integer<T: FixedWidthInteger>(_ x: T) -> T { 0 &- x }
}

/// `|x|`; `|min| = min` for signed integers (wraps).
struct AbsFunction: NumericFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x < 0 ? -x : x }
    func integer<T: FixedWidthInteger>(_ x: T) -> T { x < 0 ? 0 &- x : x }
}

/// −1, 0 or 1 by the sign of `x`; NaN stays NaN.
struct SignFunction: NumericFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
    func integer<T: FixedWidthInteger>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
}

/// A libm function evaluated in Double and rounded to the tensor's type (the trigonometric family).
struct DoubleFunction: FloatFunction {
    let f: @Sendable (Double) -> Double
    func callAsFunction<T: FloatMath>(_ x: T) -> T { T(f(Double(x))) }
}

/// `x + bias` for `x < −λ`, `x − bias` for `x > λ`, else 0 (λ = 0.5, bias = 0 by default).
struct ShrinkFunction: FloatFunction {
    let lambda: Float, bias: Float
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x < -T(lambda) ? x + T(bias) : (x > T(lambda) ? x - T(bias) : 0) }
}

/// True where `x` is NaN (IsNaN), or an infinity of a selected sign (IsInf).
struct FloatClassifier {
    let nan: Bool, negativeInfinity: Bool, positiveInfinity: Bool
    func callAsFunction<T: FloatMath>(_ x: T) -> Bool {
        (nan && x.isNaN) || (x.isInfinite && (x < 0 ? negativeInfinity : positiveInfinity))
    }
}

extension OpTable {
    /// The trigonometric and hyperbolic functions, computed in Double.
    static let libmFunctions: [String: @Sendable (Double) -> Double] = [
        "Sin": { sin($0) }, "Cos": { cos($0) }, "Tan": { tan($0) },
        "Asin": { asin($0) }, "Acos": { acos($0) }, "Atan": { atan($0) },
        "Sinh": { sinh($0) }, "Cosh": { cosh($0) }, "Asinh": { asinh($0) }, "Acosh": { acosh($0) }, "Atanh": { atanh($0) },
    ]

    /// Sin … Atanh, Shrink, IsNaN and IsInf.
    static let mathKernels: [String: OpKernel] = libmFunctions.mapValues { f -> OpKernel in
        { @Sendable ctx in [try ctx.mapFloating(ctx.input(0), DoubleFunction(f: f))] }
    }.merging([
        "Shrink": { ctx in
            let f = ShrinkFunction(lambda: try ctx.node.float("lambd", default: 0.5),
                                   bias: try ctx.node.float("bias", default: 0))
            return [try ctx.mapFloating(ctx.input(0), f)]
        },
        "IsNaN": { ctx in
            [try ctx.classify(ctx.input(0), FloatClassifier(nan: true, negativeInfinity: false, positiveInfinity: false))]
        },
        "IsInf": { ctx in
            let f = FloatClassifier(nan: false, negativeInfinity: try ctx.node.int("detect_negative", default: 1) != 0,
                                    positiveInfinity: try ctx.node.int("detect_positive", default: 1) != 0)
            return [try ctx.classify(ctx.input(0), f)]
        },
    ]) { first, _ in first }

    /// Sqrt, Exp, Log, Reciprocal, Erf, Floor, Ceil, Round (float dtypes), Neg, Abs, Sign (also integers).
    static let unaryKernels: [String: OpKernel] = [
        "Sqrt": { ctx in [try ctx.mapFloating(ctx.input(0), SqrtFunction())] },
        "Exp": { ctx in [try ctx.mapFloating(ctx.input(0), ExpFunction())] },
        "Log": { ctx in [try ctx.mapFloating(ctx.input(0), LogFunction())] },
        "Reciprocal": { ctx in [try ctx.mapFloating(ctx.input(0), ReciprocalFunction())] },
        "Erf": { ctx in [try ctx.mapFloating(ctx.input(0), ErfFunction())] },
        "Floor": { ctx in [try ctx.mapFloating(ctx.input(0), FloorFunction())] },
        "Ceil": { ctx in [try ctx.mapFloating(ctx.input(0), CeilFunction())] },
        "Round": { ctx in [try ctx.mapFloating(ctx.input(0), RoundFunction())] },
        "Neg": { ctx in [try ctx.mapNumeric(ctx.input(0), NegFunction())] },
        "Abs": { ctx in [try ctx.mapNumeric(ctx.input(0), AbsFunction())] },
        "Sign": { ctx in [try ctx.mapNumeric(ctx.input(0), SignFunction())] },
    ]
}

extension KernelContext {
    /// `f` applied to every element of a floating-point tensor, a bool tensor.
    func classify(_ t: Tensor, _ f: FloatClassifier) throws -> Tensor {
        switch t.storage {
        case .float32(let v): return Tensor(shape: t.shape, values: v.map { f($0) })
        case .float64(let v): return Tensor(shape: t.shape, values: v.map { f($0) })
        case .float16(let v): return Tensor(shape: t.shape, values: v.map { f(Float($0)) })
        case .bfloat16(let v): return Tensor(shape: t.shape, values: v.map { f($0.floatValue) })
        default: throw invalid("expects a floating-point tensor, got \(t.dtype)")
        }
    }
}
