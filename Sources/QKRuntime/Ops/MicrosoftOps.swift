extension OpTable {
    static let microsoftKernels: [String: OpKernel] = [:]
}
