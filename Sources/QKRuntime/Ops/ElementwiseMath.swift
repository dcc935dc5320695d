import Foundation
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

extension KernelContext {
    /// `f` applied to every element of a floating-point tensor (float16/bfloat16 computed in Float).
    func mapFloating(_ t: Tensor, _ f: some FloatFunction) throws -> Tensor {
        switch t.storage {
        case .float32(let v): return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { f($0) })
        case .float64(let v): return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { f($0) })
        case .float16(let v):
            return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { Float16(f(Float($0))) })
        case .bfloat16(let v):
            return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { BFloat16(f($0.floatValue)) })
        default:
            throw invalid("expects a floating-point tensor, got \(t.dtype)")
        }
    }

    /// `f` applied to every element of a numeric tensor (any dtype but bool).
    func mapNumeric(_ t: Tensor, _ f: some NumericFunction) throws -> Tensor {
        switch t.storage {
        case .int8(let v): return Tensor(shape: t.shape, values: v.map { f.integer($0) })
        case .uint8(let v): return Tensor(shape: t.shape, values: v.map { f.integer($0) })
        case .int16(let v): return Tensor(shape: t.shape, values: v.map { f.integer($0) })
        case .uint16(let v): return Tensor(shape: t.shape, values: v.map { f.integer($0) })
        case .int32(let v): return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { f.integer($0) })
        case .int64(let v): return Tensor(shape: t.shape, values: parallelMap(v, threads: threads) { f.integer($0) })
        case .bool: throw invalid("expects a numeric tensor, got bool")
        default: return try mapFloating(t, f)
        }
    }

    /// `f(a, b)` with numpy broadcasting; both tensors must have the same numeric dtype.
    func combine(_ a: Tensor, _ b: Tensor, _ f: some BinaryFunction) throws -> Tensor {
        guard a.dtype == b.dtype else { throw invalid("operands must share a dtype, got \(a.dtype) and \(b.dtype)") }
        func float<T: FloatMath>(_ x: [T], _ y: [T]) throws -> Tensor {
            let r = try broadcasting { try broadcastMap(x, a.shape, y, b.shape, threads: threads) { f.floating($0, $1) } }
            return Tensor(shape: r.shape, values: r.values)
        }
        func int<T: FixedWidthInteger & TensorScalar>(_ x: [T], _ y: [T]) throws -> Tensor {
            let r = try broadcasting {
                try broadcastMap(x, a.shape, y, b.shape, threads: threads) { f.integer($0, $1) }
            }
            return Tensor(shape: r.shape, values: r.values)
        }
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)): return try float(x, y)
        case (.float64(let x), .float64(let y)): return try float(x, y)
        case (.float16(let x), .float16(let y)):
            let r = try float(x.map(Float.init), y.map(Float.init))
            return r.converted(to: .float16)
        case (.bfloat16(let x), .bfloat16(let y)):
            let r = try float(x.map(\.floatValue), y.map(\.floatValue))
            return r.converted(to: .bfloat16)
        case (.int8(let x), .int8(let y)): return try int(x, y)
        case (.uint8(let x), .uint8(let y)): return try int(x, y)
        case (.int16(let x), .int16(let y)): return try int(x, y)
        case (.uint16(let x), .uint16(let y)): return try int(x, y)
        case (.int32(let x), .int32(let y)): return try int(x, y)
        case (.int64(let x), .int64(let y)): return try int(x, y)
        default: throw invalid("does not support \(a.dtype) operands")
        }
    }

    /// `compare(a, b)` with numpy broadcasting, a bool tensor; both tensors must have the same dtype.
    func compare(_ a: Tensor, _ b: Tensor, _ p: some Comparison) throws -> Tensor {
        guard a.dtype == b.dtype else { throw invalid("operands must share a dtype, got \(a.dtype) and \(b.dtype)") }
        func run<T: Comparable>(_ x: [T], _ y: [T]) throws -> Tensor {
            let r = try broadcasting { try broadcastMap(x, a.shape, y, b.shape, threads: threads) { p.compare($0, $1) } }
            return Tensor(shape: r.shape, values: r.values)
        }
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)): return try run(x, y)
        case (.float64(let x), .float64(let y)): return try run(x, y)
        case (.float16(let x), .float16(let y)): return try run(x, y)
        case (.bfloat16(let x), .bfloat16(let y)): return try run(x.map(\.floatValue), y.map(\.floatValue))
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
