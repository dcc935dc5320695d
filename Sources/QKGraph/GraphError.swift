/// Errors about a graph's structure or a node's attributes; each names the node involved.
public enum GraphError: Error, CustomStringConvertible, Equatable {
    case danglingInput(node: String, input: String)
    case cycle(nodes: [String])
    case duplicateOutput(name: String, nodes: [String])
    case missingGraphOutput(name: String)
    case missingAttribute(node: String, attribute: String)
    case attributeType(node: String, attribute: String, expected: String, actual: String)
    case invalidAttribute(node: String, attribute: String, message: String)
    case shapeInference(node: String, message: String)

    public var description: String {
        switch self {
        case .danglingInput(let node, let input):
            "node '\(node)' reads '\(input)', which no node, graph input or initializer provides"
        case .cycle(let nodes):
            "the graph has a cycle through nodes \(nodes.prefix(5).map { "'\($0)'" }.joined(separator: ", "))"
        case .duplicateOutput(let name, let nodes):
            "value '\(name)' is produced more than once (by \(nodes.map { "'\($0)'" }.joined(separator: " and ")))"
        case .missingGraphOutput(let name):
            "graph output '\(name)' is not produced by any node, input or initializer"
        case .missingAttribute(let node, let attribute):
            "node '\(node)' is missing required attribute '\(attribute)'"
        case .attributeType(let node, let attribute, let expected, let actual):
            "node '\(node)': attribute '\(attribute)' should be \(expected), found \(actual)"
        case .invalidAttribute(let node, let attribute, let message):
            "node '\(node)': attribute '\(attribute)' \(message)"
        case .shapeInference(let node, let message):
            "node '\(node)': \(message)"
        }
    }
}
