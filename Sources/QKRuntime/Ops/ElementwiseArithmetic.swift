import QKKernels
import QKTensor

/// A binary function that is one IEEE arithmetic operation, so float32 tensors can take the vectorised loops
/// of ``VectorMath/binary(_:_:strideA:_:strideB:_:count:)`` (same results as the scalar form).
protocol ArithmeticFunction: BinaryFunction {
    var arithmetic: VectorMath.Arithmetic { get }
}

extension AddFunction: ArithmeticFunction { var arithmetic: VectorMath.Arithmetic { .add } }
extension SubFunction: ArithmeticFunction { var arithmetic: VectorMath.Arithmetic { .subtract } }
extension MulFunction: ArithmeticFunction { var arithmetic: VectorMath.Arithmetic { .multiply } }
extension DivFunction: ArithmeticFunction { var arithmetic: VectorMath.Arithmetic { .divide } }

/// `a + b`; integers wrap (two's complement), as numpy and C.
struct AddFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a + b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a &+ b }
}

/// `a - b`; integers wrap.
struct SubFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a - b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a &- b }
}

/// `a · b`; integers wrap.
struct MulFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a * b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a &* b }
}

/// `a / b`; integer division truncates toward zero (C), `x / 0 = 0` and `min / -1` wraps to `min`.
struct DivFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a / b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue
    }
}

/// Remainder. `fmod = 1`: C `fmod`, sign of the dividend. `fmod = 0`: numpy `mod`, sign of the divisor
/// (`r = fmod(a, b)`, plus `b` when `r ≠ 0` and the signs differ). `x mod 0 = 0` for integers.
struct ModFunction: BinaryFunction {
    let truncated: Bool

    func floating<T: FloatMath>(_ a: T, _ b: T) -> T {
        let r = a.truncatingRemainder(dividingBy: b)
        if truncated { return r }
        if r != 0 && (r < 0) != (b < 0) { return r + b }
        return r == 0 ? (b < 0 ? -0.0 : 0) : r
    }

    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        guard b != 0 else { return 0 }
        let r = a.remainderReportingOverflow(dividingBy: b).partialValue
        if truncated || r == 0 || (r < 0) == (b < 0) { return r }
        return r &+ b
    }
}

/// The larger operand; NaN if either is NaN (numpy `maximum`).
struct MaxFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a > b || a.isNaN ? a : b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { Swift.max(a, b) }
}

/// The smaller operand; NaN if either is NaN (numpy `minimum`).
struct MinFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { a < b || a.isNaN ? a : b }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { Swift.min(a, b) }
}

/// `aᵇ` for floats; for integers exact repeated squaring (wrapping), a negative exponent gives `1/aᵇ`
/// truncated (0 unless |a| = 1).
struct PowFunction: BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T { T.power(a, b) }
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        if b < 0 { return a == 1 ? 1 : (a == 0 &- 1 ? (b & 1 == 0 ? 1 : a) : 0) }
        var (result, base, exponent): (T, T, T) = (1, a, b)
        while exponent > 0 {
            if exponent & 1 == 1 { result = result &* base }
            base = base &* base
            exponent >>= 1
        }
        return result
    }
}

/// `x / divisor` (Mean's final division).
private struct DivideByFunction: FloatFunction {
    let divisor: Double
    func callAsFunction<T: FloatMath>(_ x: T) -> T { x / T(divisor) }
}

extension OpTable {
    /// Add, Sub, Mul, Div, Mod, Pow and the variadic Max, Min, Sum, Mean.
    static let arithmeticKernels: [String: OpKernel] = [
        "Add": { ctx in [try ctx.combine(ctx.input(0), ctx.input(1), AddFunction())] },
        "Sub": { ctx in [try ctx.combine(ctx.input(0), ctx.input(1), SubFunction())] },
        "Mul": { ctx in [try ctx.combine(ctx.input(0), ctx.input(1), MulFunction())] },
        "Div": { ctx in [try ctx.combine(ctx.input(0), ctx.input(1), DivFunction())] },
        "Mod": { ctx in
            let fmod = try ctx.node.int("fmod", default: 0)
            guard fmod == 0 || fmod == 1 else { throw ctx.unsupported("fmod", "\(fmod)") }
            return [try ctx.combine(ctx.input(0), ctx.input(1), ModFunction(truncated: fmod == 1))]
        },
        "Pow": powKernel,
        "Max": { ctx in [try ctx.fold(MaxFunction())] },
        "Min": { ctx in [try ctx.fold(MinFunction())] },
        "Sum": { ctx in [try ctx.fold(AddFunction())] },
        "Mean": { ctx in
            let sum = try ctx.fold(AddFunction())
            return [try ctx.mapFloating(sum, DivideByFunction(divisor: Double(ctx.inputs.count)))]
        },
    ]

    /// Pow: the output has the base's dtype. Two integer operands use exact integer powers; otherwise both are
    /// widened (to float64 when either is float64 or the base is an integer, else float32, as numpy promotes),
    /// raised, and the result converted back to the base's dtype.
    private static let powKernel: OpKernel = { ctx in
        let (base, exponent) = (try ctx.input(0), try ctx.input(1))
        guard base.dtype != .bool, exponent.dtype != .bool else { throw ctx.invalid("Pow does not take bool operands") }
        if base.dtype == exponent.dtype || base.dtype.isInteger && exponent.dtype.isInteger {
            return [try ctx.combine(base, exponent.converted(to: base.dtype), PowFunction())]
        }
        let wide: DType = base.dtype.isInteger || base.dtype == .float64 || exponent.dtype == .float64 ? .float64 : .float32
        let result = try ctx.combine(base.converted(to: wide), exponent.converted(to: wide), PowFunction())
        return [result.converted(to: base.dtype)]
    }
}

extension KernelContext {
    /// `f` folded left to right over all inputs, with broadcasting (Max, Min, Sum, Mean).
    func fold(_ f: some BinaryFunction) throws -> Tensor {
        guard !inputs.isEmpty else { throw invalid("needs at least one input") }
        var result = try input(0)
        for index in 1..<inputs.count { result = try combine(result, input(index), f) }
        return result
    }
}
