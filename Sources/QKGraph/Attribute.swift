import QKTensor

/// A node attribute, one case per ONNX attribute type that QuantKit reads and writes.
public indirect enum Attribute: Sendable, Equatable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(Tensor)
    case graph(Graph)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    case tensors([Tensor])
    case graphs([Graph])

    /// The ONNX name of the attribute's type, for messages.
    public var typeName: String {
        switch self {
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .graph: "GRAPH"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .tensors: "TENSORS"
        case .graphs: "GRAPHS"
        }
    }
}
