extension OpTable {
    static let movementKernels: [String: OpKernel] = [:]
}
