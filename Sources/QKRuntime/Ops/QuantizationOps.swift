extension OpTable {
    /// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger.
    static let quantizationKernels: [String: OpKernel] = [:]

    /// ONNX Runtime com.microsoft quantized ops (QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool, ...).
    static let quantizedMicrosoftKernels: [String: OpKernel] = [:]
}
