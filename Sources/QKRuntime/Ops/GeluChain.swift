import QKGraph
import QKKernels
import QKTensor

extension OpTable {
    /// GeluChain (``GeluChainFusion``): y = (x·s)·(erf(x/d) + o), or (x·(erf(x/d) + o))·s with `scale_last` = 1,
    /// for float32 x and scalar float32 d, o, s, rounded step by step as the Div, Erf, Add, Mul, Mul nodes it
    /// replaces (``VectorMath/geluChain(_:divisor:offset:scale:scaleLast:_:count:)``), split over threads in
    /// element ranges. y has x's shape ([1] for a scalar x with a constant of shape [1], as Div broadcasts).
    static func geluChain(_ ctx: KernelContext) throws -> [Tensor] {
        let x = try ctx.input(0)
        let constants = try (1...3).map { try ctx.input($0) }
        guard x.dtype == .float32, let xValues = x.values(as: Float.self),
              constants.allSatisfy({ $0.dtype == .float32 && $0.count == 1 && $0.rank <= 1 }) else {
            throw ctx.invalid("needs float32 x and float32 scalars d, o, s, got \(x.dtype) \(x.shape) and "
                              + constants.map { "\($0.dtype) \($0.shape)" }.joined(separator: ", "))
        }
        let (d, o, s) = (constants[0].floatValues[0], constants[1].floatValues[0], constants[2].floatValues[0])
        let scaleLast = try ctx.node.int("scale_last", default: 0) != 0
        let shape = x.rank == 0 && constants.contains(where: { $0.rank == 1 }) ? [1] : x.shape
        let n = xValues.count
        var y = ctx.outputBuffer(Float.self, count: n)
        let math = VectorMath.best
        xValues.withUnsafeBufferPointer { source in
            y.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                parallelChunks(n, threads: n < parallelThreshold ? 1 : ctx.threads) { range in
                    math.geluChain(src + range.lowerBound, divisor: d, offset: o, scale: s, scaleLast: scaleLast,
                                   dst + range.lowerBound, count: range.count)
                }
            }
        }
        return [Tensor(shape: shape, values: y)]
    }
}
