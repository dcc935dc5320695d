import CQKKernels

/// Vectorised float32 transcendental functions, one variant per ISA, chosen at run time.
///
/// Every variant evaluates the same formulas (CQKKernels/vmath_body.h), so results differ between variants
/// only by fused versus separate rounding: eˣ by Cody–Waite reduction `x = n·ln2 + r` and a degree-7
/// polynomial (max relative error 2e-7), erf and tanh as `x·P(x²)/Q(x²)` rationals (max absolute error 1e-6),
/// sigmoid `1/(1 + e^−x)`, exact Gelu `x·(1 + erf(x/√2))/2`. NaN propagates, ±inf saturate, eˣ below FLT_MIN
/// flushes to 0 (a subnormal result would cost a ~100-cycle microcode assist per lane).
public struct VectorMath: Sendable, CustomStringConvertible {
    typealias Map = @convention(c) (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    typealias Reduce = @convention(c) (Int, UnsafePointer<Float>?) -> Float
    typealias ShiftedSum = @convention(c) (Int, UnsafePointer<Float>?, Float, UnsafeMutablePointer<Float>?) -> Float
    typealias Scale = @convention(c) (Int, UnsafeMutablePointer<Float>?, Float) -> Void
    typealias Binary = @convention(c) (Int, Int, UnsafePointer<Float>?, Int, UnsafePointer<Float>?, Int,
                                       UnsafeMutablePointer<Float>?) -> Void

    /// The four IEEE arithmetic operations of ``binary(_:_:strideA:_:strideB:_:count:)``.
    public enum Arithmetic: Int, Sendable { case add, subtract, multiply, divide }

    public let name: String
    let expMap: Map, erfMap: Map, tanhMap: Map, sigmoidMap: Map, geluMap: Map
    let maxReduce: Reduce
    let shiftedSum: ShiftedSum
    let scaleMap: Scale
    let binaryMap: Binary

    public var description: String { name }

    /// AVX-512F, 16 lanes.
    public static let avx512 = VectorMath(
        name: "avx512", expMap: qk_vexp_f32_avx512, erfMap: qk_verf_f32_avx512, tanhMap: qk_vtanh_f32_avx512,
        sigmoidMap: qk_vsigmoid_f32_avx512, geluMap: qk_vgelu_f32_avx512, maxReduce: qk_vmax_f32_avx512,
        shiftedSum: qk_vexp_shifted_sum_f32_avx512, scaleMap: qk_vscale_f32_avx512,
        binaryMap: qk_vbinary_f32_avx512)
    /// AVX2 + FMA, 8 lanes.
    public static let avx2 = VectorMath(
        name: "avx2", expMap: qk_vexp_f32_avx2, erfMap: qk_verf_f32_avx2, tanhMap: qk_vtanh_f32_avx2,
        sigmoidMap: qk_vsigmoid_f32_avx2, geluMap: qk_vgelu_f32_avx2, maxReduce: qk_vmax_f32_avx2,
        shiftedSum: qk_vexp_shifted_sum_f32_avx2, scaleMap: qk_vscale_f32_avx2,
        binaryMap: qk_vbinary_f32_avx2)
    /// Portable C, one element at a time.
    public static let generic = VectorMath(
        name: "generic", expMap: qk_vexp_f32_generic, erfMap: qk_verf_f32_generic, tanhMap: qk_vtanh_f32_generic,
        sigmoidMap: qk_vsigmoid_f32_generic, geluMap: qk_vgelu_f32_generic, maxReduce: qk_vmax_f32_generic,
        shiftedSum: qk_vexp_shifted_sum_f32_generic, scaleMap: qk_vscale_f32_generic,
        binaryMap: qk_vbinary_f32_generic)

    /// Every variant this CPU can run, fastest first.
    public static let available: [VectorMath] = {
        let features = qk_detect_cpu_features()
        var variants: [VectorMath] = []
        if features.avx512f != 0 { variants.append(.avx512) }
        if features.avx2 != 0 && features.fma != 0 { variants.append(.avx2) }
        variants.append(.generic)
        return variants
    }()

    /// The fastest variant this CPU can run.
    public static let best: VectorMath = available[0]

    /// `y[i] = eˣⁱ` for i < count (`x` and `y` may be the same memory).
    public func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) { expMap(count, x, y) }
    /// `y[i] = erf(x[i])`.
    public func erf(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) { erfMap(count, x, y) }
    /// `y[i] = tanh(x[i])`.
    public func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) { tanhMap(count, x, y) }
    /// `y[i] = 1/(1 + e^−x[i])`.
    public func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        sigmoidMap(count, x, y)
    }
    /// `y[i] = x[i]·(1 + erf(x[i]/√2))/2`.
    public func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) { geluMap(count, x, y) }
    /// `max x[i]` (−inf when count is 0).
    public func max(_ x: UnsafePointer<Float>, count: Int) -> Float { maxReduce(count, x) }
    /// `y[i] = e^(x[i] − shift)`, returning `Σ y[i]`.
    public func expShifted(_ x: UnsafePointer<Float>, by shift: Float, _ y: UnsafeMutablePointer<Float>,
                           count: Int) -> Float {
        shiftedSum(count, x, shift, y)
    }
    /// `y[i] *= factor`.
    public func scale(_ y: UnsafeMutablePointer<Float>, by factor: Float, count: Int) { scaleMap(count, y, factor) }
    /// `y[i] = a[i·strideA] ∘ b[i·strideB]` for i < count, strides 0 (repeat element 0) or 1; each result is the
    /// correctly rounded IEEE operation, identical in every variant and to scalar Swift arithmetic.
    public func binary(_ op: Arithmetic, _ a: UnsafePointer<Float>, strideA: Int, _ b: UnsafePointer<Float>,
                       strideB: Int, _ y: UnsafeMutablePointer<Float>, count: Int) {
        precondition((0...1).contains(strideA) && (0...1).contains(strideB), "binary strides must be 0 or 1")
        guard count > 0 else { return }
        binaryMap(op.rawValue, count, a, strideA, b, strideB, y)
    }
}
