/// A model or config that dynamic quantization or float-precision conversion cannot handle; names the node.
public enum DynamicQuantizationError: Error, CustomStringConvertible, Equatable {
    case alreadyQuantized(node: String, opType: String)
    case unsupportedWeightType(String)
    case unsupportedTarget(String)
    case nonFiniteWeight(node: String, tensor: String)

    public var description: String {
        switch self {
        case .alreadyQuantized(let node, let opType):
            "model is already quantized: node '\(node)' is a \(opType)"
        case .unsupportedWeightType(let type):
            "dynamic quantization: weight type \(type) is not supported (MatMulInteger takes int8 or uint8; "
                + "for 4-bit weights use --mode static, which writes int4 DequantizeLinear)"
        case .unsupportedTarget(let dtype):
            "float precision conversion: target \(dtype) is not float16 or bfloat16"
        case .nonFiniteWeight(let node, let tensor):
            "node '\(node)': weight '\(tensor)' holds NaN or Inf; refusing to quantize it"
        }
    }
}
