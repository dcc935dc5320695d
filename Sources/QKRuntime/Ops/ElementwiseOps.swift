extension OpTable {
    /// Arithmetic, unary math (with the trigonometric family, IsNaN, IsInf), bitwise ops, comparison/logic,
    /// Where, Cast/CastLike and Expand; see the Elementwise*.swift files.
    static let elementwiseKernels: [String: OpKernel] = [
        arithmeticKernels, unaryKernels, mathKernels, bitwiseKernels, logicKernels, castKernels,
    ].reduce(into: [:]) { table, group in
        table.merge(group) { _, _ in preconditionFailure("an elementwise op is registered twice") }
    }
}
