import Foundation
import QKKernels
import QKTensor

/// The libm functions the pointwise kernels need, for `Float` and `Double`, so each formula is written once.
/// float16 and bfloat16 tensors are computed in `Float` and rounded back.
protocol FloatMath: BinaryFloatingPoint, TensorScalar {
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func logOnePlus(_ x: Self) -> Self
    static func expMinusOne(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
    static func errorFunction(_ x: Self) -> Self
    static func power(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatMath {
    static func exponential(_ x: Float) -> Float { exp(x) }
    static func logarithm(_ x: Float) -> Float { log(x) }
    static func logOnePlus(_ x: Float) -> Float { log1p(x) }
    static func expMinusOne(_ x: Float) -> Float { expm1(x) }
    static func hyperbolicTangent(_ x: Float) -> Float { tanh(x) }
    static func errorFunction(_ x: Float) -> Float { erf(x) }
    static func power(_ x: Float, _ y: Float) -> Float { pow(x, y) }
}

extension Double: FloatMath {
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
    static func logOnePlus(_ x: Double) -> Double { log1p(x) }
    static func expMinusOne(_ x: Double) -> Double { expm1(x) }
    static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
    static func errorFunction(_ x: Double) -> Double { erf(x) }
    static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
}

/// A pointwise function of one floating-point value.
protocol FloatFunction {
    func callAsFunction<T: FloatMath>(_ x: T) -> T
}

/// A pointwise function with a vectorised float32 form (``VectorMath``), used for contiguous float32 tensors.
protocol VectorizedFloatFunction: FloatFunction {
    /// `y[i] = f(x[i])` for i < count, within the accuracy documented on ``VectorMath``.
    func float32(_ math: VectorMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int)
}

/// A pointwise function of one value that also has an integer form (Neg, Abs, Relu, Clip, …).
protocol NumericFunction: FloatFunction {
    func integer<T: FixedWidthInteger>(_ x: T) -> T
}

/// A pointwise function of two values of one dtype (Add, Div, Max, …).
protocol BinaryFunction {
    func floating<T: FloatMath>(_ a: T, _ b: T) -> T
    func integer<T: FixedWidthInteger>(_ a: T, _ b: T) -> T
}

/// A two-value predicate (Equal, Less, …), defined on any comparable element type.
protocol Comparison {
    func compare<T: Comparable>(_ a: T, _ b: T) -> Bool
}

/// Adapters from the function protocols above to ``ElementUnaryOp`` / ``ElementBinaryOp`` for one element type.
struct FloatingUnaryOp<F: FloatFunction, T: FloatMath>: ElementUnaryOp {
    let f: F
    func callAsFunction(_ x: T) -> T { f(x) }
}

struct BFloatUnaryOp<F: FloatFunction>: ElementUnaryOp {
    let f: F
    func callAsFunction(_ x: BFloat16) -> BFloat16 { BFloat16(f(x.floatValue)) }
}

struct IntegerUnaryOp<F: NumericFunction, T: FixedWidthInteger>: ElementUnaryOp {
    let f: F
    func callAsFunction(_ x: T) -> T { f.integer(x) }
}

struct FloatingBinaryOp<F: BinaryFunction, T: FloatMath>: ElementBinaryOp {
    let f: F
    func callAsFunction(_ a: T, _ b: T) -> T { f.floating(a, b) }
}

struct HalfBinaryOp<F: BinaryFunction>: ElementBinaryOp {
    let f: F
    func callAsFunction(_ a: Float16, _ b: Float16) -> Float16 { Float16(f.floating(Float(a), Float(b))) }
}

struct BFloatBinaryOp<F: BinaryFunction>: ElementBinaryOp {
    let f: F
    func callAsFunction(_ a: BFloat16, _ b: BFloat16) -> BFloat16 { BFloat16(f.floating(a.floatValue, b.floatValue)) }
}

struct IntegerBinaryOp<F: BinaryFunction, T: FixedWidthInteger>: ElementBinaryOp {
    let f: F
    func callAsFunction(_ a: T, _ b: T) -> T { f.integer(a, b) }
}

struct ComparisonOp<P: Comparison, T: Comparable>: ElementBinaryOp {
    let p: P
    func callAsFunction(_ a: T, _ b: T) -> Bool { p.compare(a, b) }
}

struct BFloatComparisonOp<P: Comparison>: ElementBinaryOp {
    let p: P
    func callAsFunction(_ a: BFloat16, _ b: BFloat16) -> Bool { p.compare(a.floatValue, b.floatValue) }
}

extension KernelContext {
    /// `f` applied to every element of a floating-point tensor (float16/bfloat16 computed in Float).
    func mapFloating<F: FloatFunction>(_ t: Tensor, _ f: F) throws -> Tensor {
        func run<Op: ElementUnaryOp>(_ v: [Op.A], _ op: Op) -> Tensor where Op.R: TensorScalar {
            Tensor(shape: t.shape, values: parallelMap(v, threads: threads, op))
        }
        switch t.storage {
        case .float32(let v):
            if let vectorized = f as? any VectorizedFloatFunction {
                return Tensor(shape: t.shape, values: vectorMap(v, vectorized))
            }
            return run(v, FloatingUnaryOp<F, Float>(f: f))
        case .float64(let v): return run(v, FloatingUnaryOp<F, Double>(f: f))
        case .float16(let v):  // widened and narrowed whole-array: the same bits as Float16(f(Float(x)))
            return run(HalfConversion.floats(v), FloatingUnaryOp<F, Float>(f: f)).converted(to: .float16)
        case .bfloat16(let v): return run(v, BFloatUnaryOp(f: f))
        default: throw invalid("expects a floating-point tensor, got \(t.dtype)")
        }
    }

    /// `f`'s vectorised form over `x`, split over `threads` for large arrays.
    func vectorMap(_ x: [Float], _ f: any VectorizedFloatFunction) -> [Float] {
        let n = x.count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            guard let dst = out.baseAddress, n > 0 else { initialized = 0; return }
            x.withUnsafeBufferPointer { buffer in
                guard let src = buffer.baseAddress else { return }
                parallelChunks(n, threads: n < parallelThreshold ? 1 : threads) { range in
                    f.float32(.best, src + range.lowerBound, dst + range.lowerBound, count: range.count)
                }
            }
            initialized = n
        }
    }

    /// `f` applied to every element of a numeric tensor (any dtype but bool).
    func mapNumeric<F: NumericFunction>(_ t: Tensor, _ f: F) throws -> Tensor {
        func int<T: FixedWidthInteger & TensorScalar>(_ v: [T]) -> Tensor {
            Tensor(shape: t.shape, values: parallelMap(v, threads: threads, IntegerUnaryOp<F, T>(f: f)))
        }
        switch t.storage {
        case .int8(let v): return int(v)
        case .uint8(let v): return int(v)
        case .int16(let v): return int(v)
        case .uint16(let v): return int(v)
        case .int32(let v): return int(v)
        case .int64(let v): return int(v)
        case .bool: throw invalid("expects a numeric tensor, got bool")
        default: return try mapFloating(t, f)
        }
    }

    /// `op` over two broadcast arrays, as a tensor; broadcast errors name this node.
    func mapBroadcasting<Op: ElementBinaryOp>(_ x: [Op.A], _ xShape: [Int], _ y: [Op.B], _ yShape: [Int],
                                             _ op: Op) throws -> Tensor where Op.R: TensorScalar {
        let r = try broadcasting { try broadcastMap(x, xShape, y, yShape, threads: threads, op) }
        return Tensor(shape: r.shape, values: r.values)
    }

    /// `f(a, b)` with numpy broadcasting; both tensors must have the same numeric dtype.
    func combine<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) throws -> Tensor {
        func int<T: FixedWidthInteger & TensorScalar>(_ x: [T], _ y: [T]) throws -> Tensor {
            try mapBroadcasting(x, a.shape, y, b.shape, IntegerBinaryOp<F, T>(f: f))
        }
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)):
            if let op = (f as? any ArithmeticFunction)?.arithmetic {
                if let flat = flatArithmetic(x, a.shape, y, b.shape, op) { return flat }
                if let r = try broadcasting({ try vectorBroadcast(x, a.shape, y, b.shape, op, threads: threads) }) {
                    return Tensor(shape: r.shape, values: r.values)
                }
            }
            return try mapBroadcasting(x, a.shape, y, b.shape, FloatingBinaryOp<F, Float>(f: f))
        case (.float64(let x), .float64(let y)):
            return try mapBroadcasting(x, a.shape, y, b.shape, FloatingBinaryOp<F, Double>(f: f))
        case (.float16(let x), .float16(let y)): return try mapBroadcasting(x, a.shape, y, b.shape, HalfBinaryOp(f: f))
        case (.bfloat16(let x), .bfloat16(let y)): return try mapBroadcasting(x, a.shape, y, b.shape, BFloatBinaryOp(f: f))
        case (.int8(let x), .int8(let y)): return try int(x, y)
        case (.uint8(let x), .uint8(let y)): return try int(x, y)
        case (.int16(let x), .int16(let y)): return try int(x, y)
        case (.uint16(let x), .uint16(let y)): return try int(x, y)
        case (.int32(let x), .int32(let y)): return try int(x, y)
        case (.int64(let x), .int64(let y)): return try int(x, y)
        default: throw invalid(a.dtype == b.dtype ? "does not support \(a.dtype) operands"
                                   : "operands must share a dtype, got \(a.dtype) and \(b.dtype)")
        }
    }

    /// float32 `op` on one thread when one operand has the result's shape and the other the same shape or a
    /// single element (of no higher rank), below ``parallelThreshold`` elements: the one ``VectorMath`` call that
    /// ``vectorBroadcast(_:_:_:_:_:threads:)`` makes for these operands, without its broadcast layout. Nil otherwise.
    private func flatArithmetic(_ x: [Float], _ xShape: [Int], _ y: [Float], _ yShape: [Int],
                                _ op: VectorMath.Arithmetic) -> Tensor? {
        let shape: [Int]
        if xShape == yShape {
            shape = xShape
        } else if y.count == 1, yShape.count <= xShape.count {
            shape = xShape
        } else if x.count == 1, xShape.count <= yShape.count {
            shape = yShape
        } else {
            return nil
        }
        let n = shape.reduce(1, *)
        guard n > 0, n < parallelThreshold else { return nil }
        let values = [Float](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    VectorMath.best.binary(op, px.baseAddress!, strideA: x.count == n ? 1 : 0, py.baseAddress!,
                                           strideB: y.count == n ? 1 : 0, out.baseAddress!, count: n)
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, values: values)
    }

    /// `compare(a, b)` with numpy broadcasting, a bool tensor; both tensors must have the same dtype.
    func compare<P: Comparison>(_ a: Tensor, _ b: Tensor, _ p: P) throws -> Tensor {
        func run<T: Comparable>(_ x: [T], _ y: [T]) throws -> Tensor {
            try mapBroadcasting(x, a.shape, y, b.shape, ComparisonOp<P, T>(p: p))
        }
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)): return try run(x, y)
        case (.float64(let x), .float64(let y)): return try run(x, y)
        case (.float16(let x), .float16(let y)): return try run(x, y)
        case (.bfloat16(let x), .bfloat16(let y)):
            return try mapBroadcasting(x, a.shape, y, b.shape, BFloatComparisonOp(p: p))
        case (.int8(let x), .int8(let y)): return try run(x, y)
        case (.uint8(let x), .uint8(let y)): return try run(x, y)
        case (.int16(let x), .int16(let y)): return try run(x, y)
        case (.uint16(let x), .uint16(let y)): return try run(x, y)
        case (.int32(let x), .int32(let y)): return try run(x, y)
        case (.int64(let x), .int64(let y)): return try run(x, y)
        case (.bool(let x), .bool(let y)): return try run(x.map { $0 ? 1 : 0 as UInt8 }, y.map { $0 ? 1 : 0 as UInt8 })
        default: throw invalid("operands must share a dtype, got \(a.dtype) and \(b.dtype)")
        }
    }

    /// Runs `body`, turning a ``BroadcastError`` into an error naming this node.
    func broadcasting<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as BroadcastError { throw invalid(error.description) }
    }
}
