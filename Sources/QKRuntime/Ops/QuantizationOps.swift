extension OpTable {
    /// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger.
    static let quantizationKernels: [String: OpKernel] = [
        "QuantizeLinear": quantizeLinearKernel,
        "DequantizeLinear": dequantizeLinearKernel,
        "DynamicQuantizeLinear": dynamicQuantizeLinearKernel,
        "MatMulInteger": matMulIntegerKernel,
        "QLinearMatMul": qLinearMatMulKernel,
        "ConvInteger": convIntegerKernel,
        "QLinearConv": qLinearConvKernel,
    ]

    /// ONNX Runtime com.microsoft quantized ops: QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool,
    /// QLinearGlobalAveragePool, QLinearLeakyRelu, QLinearSigmoid (Ops/QuantizedMicrosoft.swift).
    static let quantizedMicrosoftKernels: [String: OpKernel] = quantizedMicrosoftOps
}
