@_exported import QKTensor
@_exported import QKGraph
@_exported import QKONNX
@_exported import QKRuntime
