import QKTensor

/// Typed attribute access. A missing optional attribute gives the default; an attribute of the wrong
/// type throws ``GraphError/attributeType(node:attribute:expected:actual:)``.
extension Node {
    public func int(_ key: String) throws -> Int? {
        guard let value = attributes[key] else { return nil }
        guard case .int(let v) = value else { throw typeError(key, expected: "INT", value) }
        return Int(v)
    }

    public func int(_ key: String, default fallback: Int) throws -> Int { try int(key) ?? fallback }

    public func float(_ key: String) throws -> Float? {
        guard let value = attributes[key] else { return nil }
        switch value {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw typeError(key, expected: "FLOAT", value)
        }
    }

    public func float(_ key: String, default fallback: Float) throws -> Float { try float(key) ?? fallback }

    public func string(_ key: String) throws -> String? {
        guard let value = attributes[key] else { return nil }
        guard case .string(let v) = value else { throw typeError(key, expected: "STRING", value) }
        return v
    }

    public func string(_ key: String, default fallback: String) throws -> String { try string(key) ?? fallback }

    public func ints(_ key: String) throws -> [Int]? {
        guard let value = attributes[key] else { return nil }
        switch value {
        case .ints(let v): return v.map { Int($0) }
        case .int(let v): return [Int(v)]
        default: throw typeError(key, expected: "INTS", value)
        }
    }

    public func floats(_ key: String) throws -> [Float]? {
        guard let value = attributes[key] else { return nil }
        guard case .floats(let v) = value else { throw typeError(key, expected: "FLOATS", value) }
        return v
    }

    public func tensor(_ key: String) throws -> Tensor? {
        guard let value = attributes[key] else { return nil }
        guard case .tensor(let v) = value else { throw typeError(key, expected: "TENSOR", value) }
        return v
    }

    /// A required attribute; throws ``GraphError/missingAttribute(node:attribute:)`` when absent.
    public func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(key) else { throw GraphError.missingAttribute(node: displayName, attribute: key) }
        return value
    }

    private func typeError(_ key: String, expected: String, _ value: Attribute) -> GraphError {
        .attributeType(node: displayName, attribute: key, expected: expected, actual: value.typeName)
    }
}
