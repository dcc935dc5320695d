import Testing
@testable import QKONNX

