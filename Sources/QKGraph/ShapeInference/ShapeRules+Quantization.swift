import QKTensor

/// Shape functions of the ONNX quantization operators (shapes as the float operator, dtypes per the spec)
/// and of the com.microsoft fused operators.
///
/// | op                    | output dtype                                                        |
/// |-----------------------|---------------------------------------------------------------------|
/// | QuantizeLinear        | y_zero_point's, else `output_dtype` (opset 21), else uint8          |
/// | DequantizeLinear      | x_scale's (float32 before opset 19)                                 |
/// | DynamicQuantizeLinear | y uint8 like x, y_scale float32 scalar, y_zero_point uint8 scalar   |
/// | QLinearConv/MatMul    | y_zero_point's                                                      |
/// | ConvInteger/MatMulInteger | int32                                                           |
extension ShapeInference {
    static let quantizationRules: [String: ShapeRule] = [
        "QuantizeLinear": quantizeLinear,
        "DequantizeLinear": { context in
            [context.output(context.opset < 19 ? .float32 : context.dtype(1) ?? .float32, context.shape(0))]
        },
        "DynamicQuantizeLinear": { context in
            [context.output(.uint8, context.shape(0)), context.output(.float32, []), context.output(.uint8, [])]
        },
    ]

    /// Operators of the com.microsoft domain.
    static let microsoftRules: [String: ShapeRule] = [
        "FusedConv": convolution(x: 0, w: 1, dtype: { $0.dtype(0) }),
        "FusedGemm": gemm,
        "QuantizeLinear": quantizeLinear,
        "DequantizeLinear": { context in [context.output(context.dtype(1) ?? .float32, context.shape(0))] },
    ]

    static let quantizeLinear: ShapeRule = { context in
        let attributeType = try context.node.int("output_dtype").flatMap { $0 == 0 ? nil : stashType($0) }
        return [context.output(context.dtype(2) ?? attributeType ?? .uint8, context.shape(0))]
    }
}
