import Testing
@testable import QuantKit

