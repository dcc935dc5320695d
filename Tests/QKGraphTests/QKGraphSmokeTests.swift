import Testing
@testable import QKGraph

