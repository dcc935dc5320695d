extension OpTable {
    static let activationKernels: [String: OpKernel] = [:]
}
