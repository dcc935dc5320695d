import CQKKernels

extension VectorMath {
    /// The Gelu chain of an exported graph in one pass, rounded step by step as the separate nodes round it:
    ///
    ///     u = erf(x[i] / divisor) + offset,   y[i] = (x[i] · scale) · u   (or (x[i] · u) · scale when `scaleLast`)
    ///
    /// Division, addition and multiplication are the correctly rounded IEEE operations of
    /// ``binary(_:_:strideA:_:strideB:_:count:)`` and erf is ``erf(_:_:count:)`` of the same variant, so y has
    /// the bits of running Div, Erf, Add, Mul, Mul one after another (`x` and `y` may be the same memory).
    public func geluChain(_ x: UnsafePointer<Float>, divisor: Float, offset: Float, scale: Float, scaleLast: Bool,
                          _ y: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let last = scaleLast ? 1 : 0
        switch name {
        case VectorMath.avx512.name: qk_vgelu_chain_f32_avx512(count, x, divisor, offset, scale, last, y)
        case VectorMath.avx2.name: qk_vgelu_chain_f32_avx2(count, x, divisor, offset, scale, last, y)
        default: qk_vgelu_chain_f32_generic(count, x, divisor, offset, scale, last, y)
        }
    }
}
