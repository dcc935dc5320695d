import QKGraph

/// Finds tensors whose calibrated range must not be used for quantization.
///
/// Two rules, both reported with their reason:
/// 1. **Range outliers**: the largest |x| seen exceeds 10³⁰, or exceeds 10⁴ × the median over all calibrated
///    tensors of their largest |x| (e.g. `(1 − mask) · float_min` and the scores it is added to).
/// 2. **Attention-mask structure**: float tensors computed from a Cast of an integer graph input (the
///    attention mask), followed forward through every op up to (not past) Softmax. Their values are either
///    near 0 or a huge negative constant, which any 8-bit range would destroy, even when the constant (e.g.
///    −10000) is too small for rule 1.
enum OutlierDetector {
    static let absoluteLimit: Float = 1e30
    static let medianFactor: Float = 1e4

    static func outliers(graph: Graph, ranges: [String: CalibratedRange]) -> [String: String] {
        var result: [String: String] = [:]
        let magnitudes = ranges.values.map(\.observedAbsMax).sorted()
        let median = magnitudes.isEmpty ? 0 : magnitudes[magnitudes.count / 2]
        for (name, range) in ranges {
            let a = range.observedAbsMax
            if a > absoluteLimit || a > medianFactor * Swift.max(median, 1e-6) {
                result[name] = "range of '\(name)' [\(range.observedMin), \(range.observedMax)] is dominated by "
                    + "outliers (median tensor |x| max is \(median)); kept fp32"
            }
        }
        for name in maskDerived(graph) where result[name] == nil {
            result[name] = "'\(name)' is derived from the integer input mask (attention-mask constant); kept fp32"
        }
        return result
    }

    /// Outputs of Cast nodes reading integer graph inputs (directly or through shape-only ops), propagated
    /// forward through all consumers except Softmax.
    static func maskDerived(_ graph: Graph) -> Set<String> {
        var integerInputs = Set(graph.runtimeInputs.filter { $0.dtype.map { !$0.isFloatingPoint } ?? false }.map(\.name))
        var derived: Set<String> = []
        for index in (try? graph.topologicalOrder()) ?? [] {
            let node = graph.nodes[index]
            let reads = node.inputs.filter { !$0.isEmpty }
            if node.opType == "Cast", let first = reads.first, integerInputs.contains(first) {
                derived.formUnion(node.outputs)
            } else if node.opType != "Softmax", reads.contains(where: derived.contains) {
                derived.formUnion(node.outputs)
            } else if reshapingOps.contains(node.opType), let first = reads.first, integerInputs.contains(first) {
                integerInputs.formUnion(node.outputs)
            }
        }
        return derived.subtracting([""])
    }

    /// Ops that carry an integer mask unchanged in value on its way to the Cast.
    static let reshapingOps: Set<String> = ["Unsqueeze", "Reshape", "Expand", "Squeeze", "Identity", "Flatten"]
}
