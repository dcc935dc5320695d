import QKTensor

/// A shape function: from what is known about a node's inputs, what is known about its outputs.
///
/// It returns one ``InferredValue`` per output it can describe (fewer than the node's outputs is fine; the
/// rest stay unknown) and throws ``GraphError/shapeInference(node:message:)`` on a structural contradiction.
typealias ShapeRule = @Sendable (ShapeRuleContext) throws -> [InferredValue]

/// The inputs of one node as seen by a ``ShapeRule``, plus the opset of the node's domain.
struct ShapeRuleContext {
    let node: Node
    /// Imported version of the node's domain.
    let opset: Int64
    /// One entry per node input; nil for an omitted optional input (empty name).
    let inputs: [InferredValue?]

    /// True when input `index` is present.
    func has(_ index: Int) -> Bool { index < inputs.count && inputs[index] != nil }

    /// Input `index`, or ``InferredValue/unknown`` when omitted.
    func input(_ index: Int) -> InferredValue { index < inputs.count ? inputs[index] ?? .unknown : .unknown }

    func shape(_ index: Int) -> [Dimension]? { input(index).shape }

    func dtype(_ index: Int) -> DType? { input(index).dtype }

    /// The elements of integer input `index` when all are known.
    func ints(_ index: Int) -> [Int]? { input(index).knownInts }

    /// The elements of a constant input as floats (any numeric dtype).
    func floats(_ index: Int) -> [Float]? {
        if let constant = input(index).constant { return constant.floatValues }
        return input(index).knownInts?.map { Float($0) }
    }

    /// A shape of unknown dimensions whose rank is the length of the 1-D shape tensor at input `index`; nil when
    /// that length is unknown or implausibly large (more than ``InferredValue/maxDataCount`` axes).
    func unknownShape(rankFrom index: Int) -> [Dimension]? {
        guard let shape = shape(index), shape.count == 1, let rank = shape[0].value,
              rank >= 0, rank <= InferredValue.maxDataCount else { return nil }
        return Array(repeating: .unknown, count: rank)
    }

    /// An output of `dtype` and `shape`.
    func output(_ dtype: DType?, _ shape: [Dimension]?) -> InferredValue { InferredValue(dtype: dtype, shape: shape) }

    /// The error for a contradiction at this node.
    func failure(_ message: String) -> GraphError {
        .shapeInference(node: node.displayName, message: "\(node.opType): \(message)")
    }

    /// `axis` normalised into 0..<rank (negative counts from the end); throws when out of range.
    func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < rank else {
            throw failure("axis \(axis) is out of range for rank \(rank)")
        }
        return normalized
    }

    /// Axes from the attribute `name` before `inputSince`, from input `inputIndex` from that opset on.
    ///
    /// Returns `.some(nil)` when the axes input is present but not a constant, `nil` when no axes are given.
    func axes(attribute name: String, input inputIndex: Int, inputSince: Int64) throws -> [Int]?? {
        if opset < inputSince { return try node.ints(name).map { .some($0) } }
        guard has(inputIndex) else { return nil }
        return .some(ints(inputIndex))
    }
}

/// A readable shape for messages, such as `[batch, 3, ?]` or `[…]` for an unknown rank.
func describe(_ shape: [Dimension]?) -> String {
    guard let shape else { return "[…]" }
    return "[\(shape.map(\.description).joined(separator: ", "))]"
}
