/// The op → kernel table for the default ONNX domain ("" / "ai.onnx").
///
/// Each group lives in its own file under Ops/ and contributes a `[String: OpKernel]`; the groups must not
/// overlap (checked when the table is built).
public enum OpTable {
    public static let standard: [String: OpKernel] = {
        let groups: [[String: OpKernel]] = [
            elementwiseKernels, activationKernels, shapeKernels, movementKernels,
            reductionKernels, normalizationKernels, poolingKernels, linearKernels, convolutionKernels,
            quantizationKernels,
        ]
        var table: [String: OpKernel] = [:]
        for group in groups {
            for (op, kernel) in group {
                precondition(table[op] == nil, "op \(op) is registered twice")
                table[op] = kernel
            }
        }
        return table
    }()

    /// Kernels of ONNX Runtime's "com.microsoft" domain that QuantKit's passes emit (FusedConv, FusedGemm).
    public static let microsoft: [String: OpKernel] = microsoftKernels.merging(quantizedMicrosoftKernels) { first, _ in first }

    /// The kernel for `opType` in `domain`, or nil when the runtime does not implement it.
    public static func kernel(opType: String, domain: String) -> OpKernel? {
        switch domain {
        case "", "ai.onnx": standard[opType]
        case "com.microsoft": microsoft[opType]
        case IntegerFusion.domain: integerKernels[opType]
        default: nil
        }
    }
}
