extension OpTable {
    static let poolingKernels: [String: OpKernel] = [:]
}
