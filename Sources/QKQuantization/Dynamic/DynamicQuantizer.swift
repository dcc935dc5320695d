import QKGraph
import QKTensor

/// Dynamic post-training quantization in the form onnxruntime's `quantize_dynamic` writes.
///
/// Weights (constant B of MatMul/Gemm, W of Conv when "Conv" is in `opTypesToQuantize`) are quantized offline:
/// W_q = saturate(round_half_even(W / s_w) + z_w), per tensor or per output column/channel. Activations are
/// quantized at run time:
///
///     x → DynamicQuantizeLinear → (x_q uint8, s_x, z_x)
///     y = Cast<float>(MatMulInteger(x_q, W_q, z_x, z_w)) · (s_x · s_w · α) (+ β·C for Gemm, + bias for Conv)
///
/// so y ≈ α·x·W (+ β·C). One DynamicQuantizeLinear is shared by all consumers of an activation. The result has
/// ir_version 10 and default-domain opset max(model's, 11).
public enum DynamicQuantizer {
    /// Op types quantized when `config.opTypesToQuantize` is empty.
    public static let defaultOpTypes: Set<String> = ["MatMul", "Gemm"]
    /// Op types this mode can quantize at all.
    public static let supportedOpTypes: Set<String> = ["MatMul", "Gemm", "Conv"]
    /// Op types that mark a model as already quantized.
    static let quantizedOps: Set<String> = [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
        "MatMulInteger", "ConvInteger",
    ]

    /// Quantizes `model` as described above; one decision per node of the input graph.
    public static func quantize(_ model: Model, config: QuantizationConfig) throws
        -> (model: Model, decisions: [QuantizationDecision]) {
        if let node = model.graph.nodes.first(where: { quantizedOps.contains($0.opType) }) {
            throw DynamicQuantizationError.alreadyQuantized(node: node.displayName, opType: node.opType)
        }
        guard config.weightType == .int8 || config.weightType == .uint8 else {
            throw DynamicQuantizationError.unsupportedWeightType(config.weightType.rawValue)
        }
        var rewriter = DynamicRewriter(graph: model.graph, config: config)
        try rewriter.run()
        var result = model
        result.graph.nodes = rewriter.nodes
        let used = Set(rewriter.nodes.flatMap(\.inputs) + model.graph.outputs.map(\.name))
        result.graph.initializers = rewriter.initializers.filter { used.contains($0.key) }
        result.graph.inputs = model.graph.inputs.filter { model.graph.initializers[$0.name] == nil || used.contains($0.name) }
        result.irVersion = 10
        let opset = Swift.max(model.opsetVersion(for: "") ?? 11, 11)
        result.opsetImports = model.opsetImports.filter { $0.domain != "" && $0.domain != "ai.onnx" }
            + [OpsetImport(domain: "", version: opset)]
        return (result, rewriter.decisions)
    }

    /// Why `node` is not quantized by the config's selection lists, or nil when it is selected.
    static func selectionProblem(_ node: Node, config: QuantizationConfig) -> String? {
        let wanted = config.opTypesToQuantize.isEmpty ? defaultOpTypes : Set(config.opTypesToQuantize)
        if config.excludeNodes.contains(node.name) { return "excluded by config (excludeNodes)" }
        if config.excludeOpTypes.contains(node.opType) { return "excluded by config (excludeOpTypes)" }
        if !config.includeNodes.isEmpty, !config.includeNodes.contains(node.name) {
            return "not in config's includeNodes"
        }
        guard supportedOpTypes.contains(node.opType) else {
            return QuantizationDecision.noQuantizedFormPrefix + "\(node.opType) in dynamic mode"
        }
        if !wanted.contains(node.opType) { return "op type not in opTypesToQuantize (\(wanted.sorted().joined(separator: ", ")))" }
        return nil
    }
}
