import QKGraph
import QKTensor

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

    /// Preparers of the default domain: they read attributes and constant inputs once, at load, and return a
    /// kernel that only does the per-run work. A preparer must return a kernel whose results and errors equal
    /// the table kernel's for every input; when it cannot tell (an attribute it fails to read), it returns the
    /// table kernel so the error appears when the node runs, as without a preparer.
    static let standardPreparers: [String: KernelPreparer] = shapePreparers.merging(windowPreparers) { first, _ in first }
        .merging(movementPreparers) { first, _ in first }.merging(layerNormPreparers) { first, _ in first }
        .merging(quantizeLinearPreparers) { first, _ in first }

    /// The preparer for `opType` in `domain`, nil when the op has none (its table kernel runs as is).
    /// Float MatMul/Gemm/FusedGemm preparers depend on the node's domain and op only (``floatPreparer(domain:opType:)``).
    static func preparer(opType: String, domain: String) -> KernelPreparer? {
        switch domain {
        case "", "ai.onnx": standardPreparers[opType] ?? floatPreparer(domain: "", opType: opType)
        case "com.microsoft": microsoftWindowPreparers[opType] ?? quantizedBinaryPreparers[opType]
            ?? floatPreparer(domain: domain, opType: opType)
        case IntegerFusion.domain: integerPreparers[opType] ?? integerMatMulPreparers[opType]
            ?? floatPreparer(domain: domain, opType: opType)
        default: nil
        }
    }

    /// The kernel for `node` built once from its constant inputs (`constant(name)`, nil for a value computed or
    /// fed at run time) by the op's preparer, or the table's kernel when the op has none; nil when the runtime
    /// lacks the op. The ``Interpreter`` calls this once per node when it loads a model.
    public static func preparedKernel(for node: Node, opset: Int, constant: (String) -> Tensor?) throws -> OpKernel? {
        let domain = node.normalizedDomain
        guard let preparer = preparer(opType: node.opType, domain: domain) else {
            return kernel(opType: node.opType, domain: domain)
        }
        let inputs = node.inputs.map { $0.isEmpty ? nil : constant($0) }
        return try preparer(KernelContext(node: node, inputs: inputs, opset: opset, threads: 1))
    }

    /// The kernel for `opType` in `domain`, or nil when the runtime does not implement it.
    public static func kernel(opType: String, domain: String) -> OpKernel? {
        switch domain {
        case "", "ai.onnx": standard[opType]
        case "com.microsoft": microsoft[opType]
        case IntegerFusion.domain: integerKernels[opType] ?? quantKitFloatKernels[opType]
        default: nil
        }
    }
}
