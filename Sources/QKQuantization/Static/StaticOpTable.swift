/// How the static quantizer treats one op type.
enum StaticOpRole: Equatable {
    /// Conv/Gemm/MatMul: input 0 (and a non-constant input 1 of MatMul) is an activation, input 1 a weight
    /// quantized offline, `bias` (when given) an int32 bias at scale_x · scale_w.
    case weighted(bias: Int?)
    /// Add/Mul/Concat: every input is an activation (constant inputs are quantized offline with the
    /// activation type and their own range); the output has its own calibrated range.
    case elementwise
    /// AveragePool/GlobalAveragePool: input 0 and the output are activations with their own ranges.
    case pooling
    /// MaxPool/Reshape/Transpose/Flatten/Squeeze/Unsqueeze: values are only moved or selected, so the output
    /// reuses the scale and zero point of input 0 (quantized only when that input already is).
    case shareScale
    /// Relu/Clip: folded into a quantized producer by quantizing its output with the activation's range.
    case activation
}

/// Op types the static quantizer can quantize, by role (table, not a switch, so the set is visible at a glance).
let staticOpRoles: [String: StaticOpRole] = [
    "Conv": .weighted(bias: 2),
    "Gemm": .weighted(bias: 2),
    "MatMul": .weighted(bias: nil),
    "Add": .elementwise,
    "Mul": .elementwise,
    "Concat": .elementwise,
    "AveragePool": .pooling,
    "GlobalAveragePool": .pooling,
    "MaxPool": .shareScale,
    "Reshape": .shareScale,
    "Transpose": .shareScale,
    "Flatten": .shareScale,
    "Squeeze": .shareScale,
    "Unsqueeze": .shareScale,
    "Relu": .activation,
    "Clip": .activation,
]

/// Ops whose output range is usable as the fused producer's output range (Relu/Clip fusion).
let fusableProducers: Set<String> = ["Conv", "Gemm", "MatMul", "Add"]
