/// One operator application in a ``Graph``.
///
/// Inputs and outputs are value names; an empty string marks an omitted optional input or output,
/// as in ONNX.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    /// Operator set domain: "" (or "ai.onnx") for the standard operators, "com.microsoft" for ONNX Runtime's.
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]
    public var docString: String

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:], docString: String = "") {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.docString = docString
    }

    /// The node's name for messages: its name, or its op type and first output when unnamed.
    public var displayName: String {
        name.isEmpty ? "\(opType) -> \(outputs.first ?? "?")" : name
    }

    /// The domain with "ai.onnx" normalised to "".
    public var normalizedDomain: String { domain == "ai.onnx" ? "" : domain }
}
