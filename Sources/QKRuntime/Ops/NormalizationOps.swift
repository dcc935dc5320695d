extension OpTable {
    static let normalizationKernels: [String: OpKernel] = [:]
}
