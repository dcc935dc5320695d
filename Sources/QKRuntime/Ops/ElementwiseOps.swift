extension OpTable {
    static let elementwiseKernels: [String: OpKernel] = [:]
}
