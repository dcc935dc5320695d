/// What the quantizer did with one node, and why.
///
/// Every quantization mode (static, dynamic, fp16/bf16) reports one decision per node it considered, so a
/// caller can print "node X: quantized" / "node Y: kept fp32 because ..." without knowing the mode.
public struct QuantizationDecision: Codable, Sendable, Equatable {
    /// Name of the node in the source model.
    public var node: String
    /// ONNX op type of the node (e.g. "Conv").
    public var opType: String
    /// What happened to the node.
    public var action: Action
    /// Human-readable reason (e.g. "excluded by config", "input range dominated by attention-mask constant").
    public var reason: String

    /// The outcome for a node.
    public enum Action: String, Codable, Sendable {
        /// Rewritten to an integer form (QDQ pair or QOperator).
        case quantized
        /// Left in floating point.
        case keptFloat
        /// Converted to another floating-point precision (fp16/bf16).
        case converted
    }

    public init(node: String, opType: String, action: Action, reason: String) {
        self.node = node
        self.opType = opType
        self.action = action
        self.reason = reason
    }
}
