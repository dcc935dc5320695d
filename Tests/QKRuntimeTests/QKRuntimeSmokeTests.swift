import Testing
@testable import QKRuntime

