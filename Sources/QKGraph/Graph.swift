import QKTensor

/// A dataflow graph: nodes over named values, with graph inputs, outputs and constant initializers.
public struct Graph: Sendable, Equatable {
    public var name: String
    public var nodes: [Node]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Constant tensors by value name. Written sorted by name, so output bytes are deterministic.
    public var initializers: [String: Tensor]
    /// Declared types of intermediate values.
    public var valueInfo: [ValueInfo]
    public var docString: String

    public init(name: String = "graph", nodes: [Node] = [], inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
                initializers: [String: Tensor] = [:], valueInfo: [ValueInfo] = [], docString: String = "") {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.valueInfo = valueInfo
        self.docString = docString
    }

    /// Graph inputs that are not initializers: the values a caller must feed.
    public var runtimeInputs: [ValueInfo] { inputs.filter { initializers[$0.name] == nil } }
}

/// An operator set a model imports: a domain and its version.
public struct OpsetImport: Sendable, Equatable, Hashable {
    public var domain: String
    public var version: Int64
    public init(domain: String, version: Int64) {
        self.domain = domain
        self.version = version
    }
}

/// A whole model: the graph plus the ONNX model-level fields.
public struct Model: Sendable, Equatable {
    public var graph: Graph
    public var irVersion: Int64
    public var opsetImports: [OpsetImport]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int64
    public var docString: String
    /// metadata_props, in file order.
    public var metadata: [(key: String, value: String)]

    public init(graph: Graph, irVersion: Int64 = 10, opsetImports: [OpsetImport] = [OpsetImport(domain: "", version: 21)],
                producerName: String = "QuantKit", producerVersion: String = "0.1", domain: String = "",
                modelVersion: Int64 = 0, docString: String = "", metadata: [(key: String, value: String)] = []) {
        self.graph = graph
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.docString = docString
        self.metadata = metadata
    }

    /// The imported version of `domain` ("" and "ai.onnx" are the same domain), or nil.
    public func opsetVersion(for domain: String) -> Int64? {
        let wanted = domain == "ai.onnx" ? "" : domain
        return opsetImports.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version
    }

    public static func == (lhs: Model, rhs: Model) -> Bool {
        lhs.graph == rhs.graph && lhs.irVersion == rhs.irVersion && lhs.opsetImports == rhs.opsetImports
            && lhs.producerName == rhs.producerName && lhs.producerVersion == rhs.producerVersion
            && lhs.domain == rhs.domain && lhs.modelVersion == rhs.modelVersion && lhs.docString == rhs.docString
            && lhs.metadata.elementsEqual(rhs.metadata) { $0.key == $1.key && $0.value == $1.value }
    }
}
