import Foundation

/// A JSON key of a config struct, by name.
struct ConfigKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One JSON key bound to a stored property of `Root`. Decoding writes the property only when the key is present
/// (an absent key, or `null`, keeps the value the struct already holds); encoding always writes it.
struct ConfigField<Root> {
    let key: String
    let decode: (inout Root, KeyedDecodingContainer<ConfigKey>) throws -> Void
    let encode: (Root, inout KeyedEncodingContainer<ConfigKey>) throws -> Void

    init<Value: Codable>(_ key: String, _ path: WritableKeyPath<Root, Value>) {
        self.key = key
        decode = { root, container in
            if let value = try container.decodeIfPresent(Value.self, forKey: ConfigKey(stringValue: key)) {
                root[keyPath: path] = value
            }
        }
        encode = { root, container in try container.encode(root[keyPath: path], forKey: ConfigKey(stringValue: key)) }
    }
}

/// A JSON config key that no field of the config has (a misspelt key would otherwise be ignored silently).
public struct UnknownConfigKey: Error, CustomStringConvertible {
    public let key: String
    /// The keys the config accepts.
    public let known: [String]

    public var description: String {
        "unknown key '\(key)' (known keys: \(known.sorted().joined(separator: ", ")))"
    }
}

/// A config whose JSON form is its list of ``ConfigField``s: every key optional, absent keys keep their defaults
/// (or, through ``decode(json:over:)``, the values of a given base config).
protocol FieldCodable: Codable {
    init()
    static var fields: [ConfigField<Self>] { get }
}

extension CodingUserInfoKey {
    /// The value a ``FieldCodable`` decodes over instead of `init()`.
    static let configBase = CodingUserInfoKey(rawValue: "QuantKit.configBase")!
}

extension FieldCodable {
    /// Starts from the base in the decoder's user info (else `init()`) and overwrites the keys present.
    init(decodingFieldsFrom decoder: Decoder) throws {
        var value = decoder.userInfo[.configBase] as? Self ?? Self()
        let container = try decoder.container(keyedBy: ConfigKey.self)
        let known = Self.fields.map(\.key)
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw UnknownConfigKey(key: unknown.stringValue, known: known)
        }
        for field in Self.fields { try field.decode(&value, container) }
        self = value
    }

    func encodeFields(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: ConfigKey.self)
        for field in Self.fields { try field.encode(self, &container) }
    }

    /// `json` decoded over `base`: the keys it has replace base's values, the rest stay.
    static func decode(json: Data, over base: Self) throws -> Self {
        let decoder = JSONDecoder()
        decoder.userInfo[.configBase] = base
        return try decoder.decode(Self.self, from: json)
    }
}
