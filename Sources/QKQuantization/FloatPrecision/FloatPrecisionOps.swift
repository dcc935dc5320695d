/// Per-op support for 16-bit float conversion, from the ONNX schemas (`onnx.defs.get_schema`, onnx 1.23): the
/// first default-domain opset whose type constraint allows float16 / bfloat16. Ops missing here, or whose
/// entry is nil for the target, or whose model opset is below the entry, stay float32 with Casts around them.
/// Shape-computing ops without float inputs (Shape, Range on int64, Resize's scales) are never touched.
enum FloatPrecisionOps {
    struct Support {
        let float16: Int
        let bfloat16: Int?
    }

    static let table: [String: Support] = {
        var table: [String: Support] = [:]
        let bothAt13 = ["Add", "Sub", "Mul", "Div", "Sqrt", "Tanh", "Sigmoid", "Relu", "Neg", "Abs", "Softmax",
                        "LogSoftmax", "MatMul", "Gemm", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
                        "Concat", "Split", "Slice", "Gather", "Identity", "Tile", "Pad", "Clip", "Min", "Max", "Sum",
                        "Mean", "ReduceMean", "ReduceMax", "ReduceMin", "Less", "Greater", "Cast", "Dropout",
                        "Floor", "Ceil", "Constant", "Shape", "Size"]
        for op in bothAt13 { table[op] = Support(float16: 6, bfloat16: 13) }
        for op in ["Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                   "HardSigmoid", "Softplus", "Elu", "Selu", "InstanceNormalization"] {
            table[op] = Support(float16: 6, bfloat16: nil)
        }
        table["Erf"] = Support(float16: 9, bfloat16: 13)
        table["Expand"] = Support(float16: 8, bfloat16: 13)
        table["Where"] = Support(float16: 9, bfloat16: 16)
        table["Equal"] = Support(float16: 11, bfloat16: 13)
        table["LeakyRelu"] = Support(float16: 6, bfloat16: 16)
        table["BatchNormalization"] = Support(float16: 6, bfloat16: 14)
        table["LayerNormalization"] = Support(float16: 17, bfloat16: 17)
        table["ConstantOfShape"] = Support(float16: 9, bfloat16: 20)
        table["Gelu"] = Support(float16: 20, bfloat16: 20)
        table["HardSwish"] = Support(float16: 14, bfloat16: nil)
        return table
    }()

    /// Ops whose 16-bit result easily overflows or loses an accumulation (kept float32 with this reason).
    static let risky: [String: String] = [
        "Exp": "exp overflows float16 above 11", "Pow": "powers overflow 16-bit floats",
        "Log": "log of values that underflowed in 16 bits", "ReduceSum": "long sums lose precision in 16 bits",
        "ReduceProd": "products overflow 16-bit floats", "CumSum": "running sums lose precision in 16 bits",
        "Range": "computes shapes", "Resize": "scales/roi must stay float32",
    ]

    /// Why `opType` stays float32 at `opset` for `target`, or nil when it converts.
    static func problem(_ opType: String, opset: Int, bfloat16 target: Bool) -> String? {
        if let reason = risky[opType] { return "kept float32: \(reason)" }
        guard let support = table[opType] else { return "kept float32: no 16-bit float form in QuantKit's table" }
        guard let first = target ? support.bfloat16 : support.float16 else {
            return "kept float32: ONNX \(opType) does not allow \(target ? "bfloat16" : "float16")"
        }
        if opset < first { return "kept float32: \(opType) allows this type from opset \(first), model has \(opset)" }
        return nil
    }
}
