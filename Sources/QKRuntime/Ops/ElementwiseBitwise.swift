import QKTensor

/// A pointwise function of two integers of one dtype (bitwise ops, BitShift).
protocol IntegerBinaryFunction {
    func callAsFunction<T: FixedWidthInteger>(_ a: T, _ b: T) -> T
}

struct IntegerFunctionOp<F: IntegerBinaryFunction, T: FixedWidthInteger>: ElementBinaryOp {
    let f: F
    func callAsFunction(_ a: T, _ b: T) -> T { f(a, b) }
}

struct BitwiseAndFunction: IntegerBinaryFunction { func callAsFunction<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a & b } }
struct BitwiseOrFunction: IntegerBinaryFunction { func callAsFunction<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a | b } }
struct BitwiseXorFunction: IntegerBinaryFunction { func callAsFunction<T: FixedWidthInteger>(_ a: T, _ b: T) -> T { a ^ b } }

/// `a << b` or `a >> b` (arithmetic for signed types). A shift outside `0 ..< bitWidth` gives 0, or for a
/// right shift of a negative value −1 (every bit shifted out, sign filled in).
struct BitShiftFunction: IntegerBinaryFunction {
    let left: Bool
    func callAsFunction<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        guard b >= 0, b < T.bitWidth else { return left || a >= 0 ? 0 : 0 &- 1 }
        return left ? a << b : a >> b
    }
}

extension OpTable {
    /// BitwiseAnd/Or/Xor/Not and BitShift on integer tensors.
    static let bitwiseKernels: [String: OpKernel] = [
        "BitwiseAnd": { ctx in [try ctx.combineIntegers(ctx.input(0), ctx.input(1), BitwiseAndFunction())] },
        "BitwiseOr": { ctx in [try ctx.combineIntegers(ctx.input(0), ctx.input(1), BitwiseOrFunction())] },
        "BitwiseXor": { ctx in [try ctx.combineIntegers(ctx.input(0), ctx.input(1), BitwiseXorFunction())] },
        "BitwiseNot": { ctx in
            let x = try ctx.input(0)
            guard x.dtype.isInteger else { throw ctx.invalid("expects an integer tensor, got \(x.dtype)") }
            // ~x = x XOR all-ones
            let ones = Tensor(shape: [], values: [Int64(-1)]).converted(to: x.dtype)
            return [try ctx.combineIntegers(x, ones, BitwiseXorFunction())]
        },
        "BitShift": { ctx in
            let direction = try ctx.node.required("direction") { try ctx.node.string($0) }
            guard direction == "LEFT" || direction == "RIGHT" else { throw ctx.unsupported("direction", direction) }
            return [try ctx.combineIntegers(ctx.input(0), ctx.input(1), BitShiftFunction(left: direction == "LEFT"))]
        },
    ]
}

extension KernelContext {
    /// `f(a, b)` with numpy broadcasting over two integer tensors of one dtype.
    func combineIntegers<F: IntegerBinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) throws -> Tensor {
        func run<T: FixedWidthInteger & TensorScalar>(_ x: [T], _ y: [T]) throws -> Tensor {
            try mapBroadcasting(x, a.shape, y, b.shape, IntegerFunctionOp<F, T>(f: f))
        }
        switch (a.storage, b.storage) {
        case (.int8(let x), .int8(let y)): return try run(x, y)
        case (.uint8(let x), .uint8(let y)): return try run(x, y)
        case (.int16(let x), .int16(let y)): return try run(x, y)
        case (.uint16(let x), .uint16(let y)): return try run(x, y)
        case (.int32(let x), .int32(let y)): return try run(x, y)
        case (.int64(let x), .int64(let y)): return try run(x, y)
        default: throw invalid("expects two integer tensors of one dtype, got \(a.dtype) and \(b.dtype)")
        }
    }
}
