import Testing
@testable import QKKernels

