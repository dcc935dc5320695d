/// A coding key for any string, used to list the keys a JSON object really has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The dotted coding path of `decoder` (or of `decoder` plus `key`), for error messages.
func codingPath(_ path: [CodingKey], _ key: String? = nil) -> String {
    (path.map(\.stringValue) + (key.map { [$0] } ?? [])).joined(separator: ".")
}

/// Throws ``QuantizationConfigError/unknownKey(path:key:allowed:)`` for the first key of the decoder's object
/// that is not in `allowed`.
func rejectUnknownKeys(in decoder: Decoder, allowed: [String]) throws {
    let all = try decoder.container(keyedBy: AnyCodingKey.self)
    if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
        throw QuantizationConfigError.unknownKey(path: codingPath(decoder.codingPath), key: unknown, allowed: allowed)
    }
}

/// Decodes a string-backed enum, throwing ``QuantizationConfigError/unknownValue(path:value:allowed:)`` with the
/// accepted spellings for an unknown string.
func decodeEnum<E: RawRepresentable & CaseIterable, K: CodingKey>(
    _ type: E.Type, _ container: KeyedDecodingContainer<K>, _ key: K
) throws -> E? where E.RawValue == String {
    guard let raw = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
    guard let value = E(rawValue: raw) else {
        throw QuantizationConfigError.unknownValue(
            path: codingPath(container.codingPath, key.stringValue), value: raw, allowed: E.allCases.map(\.rawValue))
    }
    return value
}

extension QuantizationConfig.WeightGranularity: Codable {
    private enum Kind: String, CaseIterable { case perTensor, perChannel, perBlock }
    private enum Keys: String, CodingKey, CaseIterable { case kind, axis, size }

    /// Accepts `"perTensor"`, `"perChannel"`, or an object `{"kind": "perChannel", "axis": 1}` /
    /// `{"kind": "perBlock", "size": 32}`.
    public init(from decoder: Decoder) throws {
        let path = codingPath(decoder.codingPath)
        if let single = try? decoder.singleValueContainer(), let raw = try? single.decode(String.self) {
            switch Kind(rawValue: raw) {
            case .perTensor: self = .perTensor
            case .perChannel: self = .perChannel(axis: nil)
            case .perBlock, nil:
                throw QuantizationConfigError.unknownValue(
                    path: path, value: raw, allowed: ["perTensor", "perChannel", "{\"kind\": \"perBlock\", \"size\": N}"])
            }
            return
        }
        try rejectUnknownKeys(in: decoder, allowed: Keys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: Keys.self)
        guard let kind = try decodeEnum(Kind.self, c, .kind) else {
            throw QuantizationConfigError.invalid(path: path, reason: "missing 'kind' (perTensor, perChannel, perBlock)")
        }
        switch kind {
        case .perTensor: self = .perTensor
        case .perChannel: self = .perChannel(axis: try c.decodeIfPresent(Int.self, forKey: .axis))
        case .perBlock:
            let size = try c.decodeIfPresent(Int.self, forKey: .size) ?? 32
            guard size >= 1 else { throw QuantizationConfigError.invalid(path: path, reason: "block size \(size) < 1") }
            self = .perBlock(size: size, axis: try c.decodeIfPresent(Int.self, forKey: .axis))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .perTensor:
            try c.encode(Kind.perTensor.rawValue, forKey: .kind)
        case .perChannel(let axis):
            try c.encode(Kind.perChannel.rawValue, forKey: .kind)
            try c.encodeIfPresent(axis, forKey: .axis)
        case .perBlock(let size, let axis):
            try c.encode(Kind.perBlock.rawValue, forKey: .kind)
            try c.encode(size, forKey: .size)
            try c.encodeIfPresent(axis, forKey: .axis)
        }
    }
}

extension QuantizationConfig.CalibrationMethod: Codable {
    private enum Method: String, CaseIterable { case minmax, movingAverage, percentile, entropy, mse }
    private enum Keys: String, CodingKey, CaseIterable {
        case method, averagingConstant, percentile, bins, quantizedBins
    }

    /// Accepts a method name (`"minmax"`, `"movingAverage"`, `"percentile"`, `"entropy"`, `"mse"`) with default
    /// parameters, or an object `{"method": "entropy", "bins": 2048, "quantizedBins": 128}`.
    public init(from decoder: Decoder) throws {
        let path = codingPath(decoder.codingPath)
        if let single = try? decoder.singleValueContainer(), let raw = try? single.decode(String.self) {
            guard let method = Method(rawValue: raw) else {
                throw QuantizationConfigError.unknownValue(
                    path: path, value: raw, allowed: Method.allCases.map(\.rawValue))
            }
            self = Self.defaults(for: method)
            return
        }
        try rejectUnknownKeys(in: decoder, allowed: Keys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: Keys.self)
        guard let method = try decodeEnum(Method.self, c, .method) else {
            throw QuantizationConfigError.invalid(
                path: path, reason: "missing 'method' (\(Method.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let base = Self.defaults(for: method)
        switch base {
        case .minMax:
            self = .minMax
        case .movingAverage(let constant):
            self = .movingAverage(averagingConstant: try c.decodeIfPresent(Float.self, forKey: .averagingConstant)
                ?? constant)
        case .percentile(let percentile, let bins):
            self = .percentile(try c.decodeIfPresent(Double.self, forKey: .percentile) ?? percentile,
                               bins: try c.decodeIfPresent(Int.self, forKey: .bins) ?? bins)
        case .entropy(let bins, let quantizedBins):
            self = .entropy(bins: try c.decodeIfPresent(Int.self, forKey: .bins) ?? bins,
                            quantizedBins: try c.decodeIfPresent(Int.self, forKey: .quantizedBins) ?? quantizedBins)
        case .mse(let bins):
            self = .mse(bins: try c.decodeIfPresent(Int.self, forKey: .bins) ?? bins)
        }
        if let problem = validationProblem {
            throw QuantizationConfigError.invalid(path: path, reason: problem)
        }
    }

    private static func defaults(for method: Method) -> Self {
        switch method {
        case .minmax: .minMax
        case .movingAverage: .movingAverage(averagingConstant: 0.01)
        case .percentile: .percentile(99.999, bins: 2048)
        case .entropy: .entropy(bins: 2048, quantizedBins: 128)
        case .mse: .mse(bins: 2048)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .minMax:
            try c.encode(Method.minmax.rawValue, forKey: .method)
        case .movingAverage(let constant):
            try c.encode(Method.movingAverage.rawValue, forKey: .method)
            try c.encode(constant, forKey: .averagingConstant)
        case .percentile(let percentile, let bins):
            try c.encode(Method.percentile.rawValue, forKey: .method)
            try c.encode(percentile, forKey: .percentile)
            try c.encode(bins, forKey: .bins)
        case .entropy(let bins, let quantizedBins):
            try c.encode(Method.entropy.rawValue, forKey: .method)
            try c.encode(bins, forKey: .bins)
            try c.encode(quantizedBins, forKey: .quantizedBins)
        case .mse(let bins):
            try c.encode(Method.mse.rawValue, forKey: .method)
            try c.encode(bins, forKey: .bins)
        }
    }
}
