import QKGraph
import QKRuntime

/// The standard fp32 graph optimizations, in order: constant folding, dead-node elimination,
/// Conv+BatchNormalization folding, Conv/Gemm+activation fusion, and a final dead-node sweep.
/// Each pass preserves the model's outputs (up to float rounding of the folded arithmetic).
public enum GraphOptimizer {
    /// The optimized model and one report per pass.
    public static func optimize(_ model: Model) throws -> (model: Model, reports: [PassReport], summary: String) {
        var current = model
        var reports: [PassReport] = []
        func step(_ pass: (Model) throws -> (model: Model, report: PassReport)) rethrows {
            let result = try pass(current)
            current = result.model
            reports.append(result.report)
        }
        try step { try ConstantFolding.apply(to: $0) }
        step { DeadNodeElimination.apply(to: $0) }
        step { ConvBatchNormFolding.apply(to: $0) }
        step { ActivationFusion.apply(to: $0) }
        step { DeadNodeElimination.apply(to: $0) }
        let summary = "\(model.graph.nodes.count) → \(current.graph.nodes.count) nodes\n"
            + reports.filter(\.changed).map { "  \($0)" }.joined(separator: "\n")
        return (current, reports, summary)
    }
}
