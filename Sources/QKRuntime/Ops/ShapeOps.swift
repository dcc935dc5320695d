extension OpTable {
    static let shapeKernels: [String: OpKernel] = [:]
}
