extension OpTable {
    static let convolutionKernels: [String: OpKernel] = [:]
}
