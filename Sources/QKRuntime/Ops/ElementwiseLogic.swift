import QKTensor

struct EqualComparison: Comparison { func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { a == b } }
struct LessComparison: Comparison { func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { a < b } }
struct GreaterComparison: Comparison { func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { a > b } }
struct LessOrEqualComparison: Comparison { func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { a <= b } }
struct GreaterOrEqualComparison: Comparison { func compare<T: Comparable>(_ a: T, _ b: T) -> Bool { a >= b } }

struct AndOp: ElementBinaryOp { func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a && b } }
struct OrOp: ElementBinaryOp { func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a || b } }
struct XorOp: ElementBinaryOp { func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a != b } }

extension OpTable {
    /// Comparisons (bool outputs), the logical ops on bool tensors, and Where.
    static let logicKernels: [String: OpKernel] = [
        "Equal": { ctx in [try ctx.compare(ctx.input(0), ctx.input(1), EqualComparison())] },
        "Less": { ctx in [try ctx.compare(ctx.input(0), ctx.input(1), LessComparison())] },
        "Greater": { ctx in [try ctx.compare(ctx.input(0), ctx.input(1), GreaterComparison())] },
        "LessOrEqual": { ctx in [try ctx.compare(ctx.input(0), ctx.input(1), LessOrEqualComparison())] },
        "GreaterOrEqual": { ctx in [try ctx.compare(ctx.input(0), ctx.input(1), GreaterOrEqualComparison())] },
        "And": { ctx in [try ctx.logical(AndOp())] },
        "Or": { ctx in [try ctx.logical(OrOp())] },
        "Xor": { ctx in [try ctx.logical(XorOp())] },
        "Not": { ctx in
            let x = try ctx.input(0, as: Bool.self)
            return [Tensor(shape: try ctx.input(0).shape, values: x.map { !$0 })]
        },
        "Where": whereKernel,
    ]

    /// Where(condition, X, Y): X where the condition holds, else Y, all three broadcast together.
    private static let whereKernel: OpKernel = { ctx in
        let (condition, x, y) = (try ctx.input(0), try ctx.input(1), try ctx.input(2))
        guard let flags = condition.values(as: Bool.self) else {
            throw ctx.invalid("condition must be bool, got \(condition.dtype)")
        }
        guard x.dtype == y.dtype else { throw ctx.invalid("X and Y must share a dtype, got \(x.dtype) and \(y.dtype)") }
        let shape = try ctx.broadcasting { try broadcastShape([condition.shape, x.shape, y.shape]) }
        struct Select: ElementTransform {
            let flags: [Bool]
            let other: TensorStorage
            /// Starts from X and copies Y's elements over each run of false flags, as bytes (no per-element
            /// generic calls: this runs unspecialised through `TensorStorage.map`).
            func apply<T: TensorScalar>(_ values: [T]) throws -> [T] {
                guard let alternative = T.values(in: other) else {
                    throw TensorError.dtypeMismatch(expected: T.dtype, actual: other.dtype)
                }
                let size = MemoryLayout<T>.stride
                var result = values
                result.withUnsafeMutableBytes { out in
                    alternative.withUnsafeBytes { y in
                        flags.withUnsafeBufferPointer { f in
                            var i = 0
                            while i < f.count {
                                if f[i] { i += 1; continue }
                                var end = i + 1
                                while end < f.count, !f[end] { end += 1 }
                                (out.baseAddress! + i * size)
                                    .copyMemory(from: y.baseAddress! + i * size, byteCount: (end - i) * size)
                                i = end
                            }
                        }
                    }
                }
                return result
            }
        }
        let select = Select(flags: broadcastValues(flags, from: condition.shape, to: shape),
                            other: try broadcastTensor(y, to: shape).storage)
        return [try Tensor(shape: shape, storage: broadcastTensor(x, to: shape).storage.map(select))]
    }
}

extension KernelContext {
    /// `f(a, b)` over two broadcast bool tensors.
    func logical<Op: ElementBinaryOp>(_ op: Op) throws -> Tensor where Op.A == Bool, Op.B == Bool, Op.R == Bool {
        let (a, b) = (try input(0), try input(1))
        guard let x = a.values(as: Bool.self), let y = b.values(as: Bool.self) else {
            throw invalid("expects bool operands, got \(a.dtype) and \(b.dtype)")
        }
        return try mapBroadcasting(x, a.shape, y, b.shape, op)
    }
}
