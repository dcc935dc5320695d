extension OpTable {
    /// Arithmetic, unary math, comparison/logic, Where, Cast/CastLike and Expand (see the Elementwise*.swift files).
    static let elementwiseKernels: [String: OpKernel] = [arithmeticKernels, unaryKernels, logicKernels, castKernels]
        .reduce(into: [:]) { table, group in table.merge(group) { first, _ in first } }
}
