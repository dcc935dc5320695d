extension OpTable {
    static let linearKernels: [String: OpKernel] = [:]
}
