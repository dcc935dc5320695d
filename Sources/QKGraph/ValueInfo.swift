import QKTensor

/// One dimension of a tensor shape: a known size, a named symbolic size (such as "batch"), or unknown.
public enum Dimension: Sendable, Hashable, CustomStringConvertible {
    case known(Int)
    case symbolic(String)
    case unknown

    public var value: Int? { if case .known(let v) = self { v } else { nil } }

    public var description: String {
        switch self {
        case .known(let v): "\(v)"
        case .symbolic(let name): name
        case .unknown: "?"
        }
    }
}

/// The declared type of a graph input, output or intermediate value.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    /// Element type; nil when the type is not a tensor of a supported dtype or is not declared.
    public var dtype: DType?
    /// Shape; nil when the rank is unknown.
    public var shape: [Dimension]?
    public var docString: String

    public init(name: String, dtype: DType?, shape: [Dimension]?, docString: String = "") {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.docString = docString
    }

    /// A readable type such as `float32[batch, 1, 8, 8]`.
    public var typeDescription: String {
        let element = dtype?.rawValue ?? "?"
        guard let shape else { return "\(element)[…]" }
        return "\(element)[\(shape.map(\.description).joined(separator: ", "))]"
    }
}
