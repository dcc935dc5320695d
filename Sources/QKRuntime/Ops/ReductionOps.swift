extension OpTable {
    static let reductionKernels: [String: OpKernel] = [:]
}
