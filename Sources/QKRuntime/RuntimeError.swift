import QKTensor

/// Errors raised while preparing or executing a graph; each names the node and op involved.
public enum RuntimeError: Error, CustomStringConvertible, Equatable {
    case unsupportedOp(opType: String, domain: String, opset: Int, node: String)
    case missingInput(node: String, opType: String, index: Int)
    case missingFeed(name: String, expected: String)
    case unexpectedFeed(name: String, known: [String])
    case feedMismatch(name: String, expected: String, actual: String)
    /// A node received inputs it cannot work with (shape, dtype or value problems).
    case invalidInput(node: String, opType: String, message: String)
    case unsupportedAttribute(node: String, opType: String, attribute: String, value: String)

    public var description: String {
        switch self {
        case .unsupportedOp(let op, let domain, let opset, let node):
            "unsupported op '\(op)' (domain '\(domain.isEmpty ? "ai.onnx" : domain)', opset \(opset)) at node '\(node)'"
        case .missingInput(let node, let op, let index):
            "node '\(node)' (\(op)) is missing required input #\(index)"
        case .missingFeed(let name, let expected):
            "missing model input '\(name)' (expected \(expected))"
        case .unexpectedFeed(let name, let known):
            "'\(name)' is not an input of the model (inputs: \(known.joined(separator: ", ")))"
        case .feedMismatch(let name, let expected, let actual):
            "input '\(name)': expected \(expected), got \(actual)"
        case .invalidInput(let node, let op, let message):
            "node '\(node)' (\(op)): \(message)"
        case .unsupportedAttribute(let node, let op, let attribute, let value):
            "node '\(node)' (\(op)): unsupported value \(value) for attribute '\(attribute)'"
        }
    }
}
