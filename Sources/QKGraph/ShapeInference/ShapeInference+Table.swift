/// The operator → shape function table, one row per operator, grouped by family in the `ShapeRules+*.swift`
/// files and keyed by domain ("" for the standard operators).
extension ShapeInference {
    static let rules: [String: [String: ShapeRule]] = [
        "": [elementwiseRules, shapeOpRules, linearRules, convolutionRules, reshapingRules, indexingRules,
             reductionRules, quantizationRules].reduce(into: [:]) { table, group in
            table.merge(group) { first, _ in first }
        },
        "com.microsoft": microsoftRules,
    ]

    /// The shape function for `node`'s domain and operator, or nil for an operator without one.
    static func rule(for node: Node) -> ShapeRule? { rules[node.normalizedDomain]?[node.opType] }

    /// The operators with a shape function, by domain.
    public static var supportedOperators: [String: [String]] { rules.mapValues { $0.keys.sorted() } }
}
