import QKTensor

/// The one-input floating-point functions, each `y = f(x)`.
struct SqrtFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { x.squareRoot() } }
struct ExpFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { T.exponential(x) } }
struct LogFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { T.logarithm(x) } }
struct ReciprocalFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { 1 / x } }
struct ErfFunction: FloatFunction { func callAsFunction<T: FloatMath>(_ x: T) -> T { T.errorFunction(x) } }
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

extension OpTable {
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
