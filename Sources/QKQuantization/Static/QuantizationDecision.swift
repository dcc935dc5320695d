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

    /// Start of the reason given to nodes whose op type the mode cannot quantize (summaries group them).
    public static let noQuantizedFormPrefix = "no quantized form for "

    public init(node: String, opType: String, action: Action, reason: String) {
        self.node = node
        self.opType = opType
        self.action = action
        self.reason = reason
    }
}
