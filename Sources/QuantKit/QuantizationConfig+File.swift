import Foundation
import QKQuantization
import Yams

extension QuantizationConfig {
    /// The syntaxes a config file may be written in, chosen by its extension.
    public enum FileSyntax: String, Sendable {
        case json, yaml

        /// YAML for `.yaml` / `.yml` (any case), JSON for every other name.
        public init(path: String) {
            let ext = (path as NSString).pathExtension.lowercased()
            self = ext == "yaml" || ext == "yml" ? .yaml : .json
        }
    }

    /// Reads a config file: YAML when the name ends in `.yaml`/`.yml`, else JSON. Both have the same schema (the
    /// keys of ``QuantizationConfig``; missing keys keep their defaults), e.g.
    /// ```yaml
    /// mode: static
    /// weightType: int4
    /// weightGranularity: {kind: perBlock, size: 32}
    /// calibration: {method: percentile, percentile: 99.99}
    /// excludeNodes: [conv1]
    /// ```
    /// Every failure is a ``QuantKitError`` naming the file and, where there is one, the key: an unreadable
    /// file, a syntax error, an unknown key or value, a value of the wrong type.
    public static func load(contentsOfFile path: String) throws -> QuantizationConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuantKitError.unreadableFile(path: path, reason: "cannot read the config file")
        }
        return try decode(data, syntax: FileSyntax(path: path), path: path)
    }

    /// Decodes `data` written in `syntax`; `path` names the source in errors.
    public static func decode(_ data: Data, syntax: FileSyntax, path: String) throws -> QuantizationConfig {
        do {
            switch syntax {
            case .json:
                return try JSONDecoder().decode(QuantizationConfig.self, from: data)
            case .yaml:
                guard let text = String(data: data, encoding: .utf8) else {
                    throw QuantKitError.invalidFile(path: path, reason: "quantization config: not UTF-8 text")
                }
                // An empty YAML document is an empty mapping: every key takes its default.
                if text.allSatisfy({ $0.isWhitespace }) { return QuantizationConfig() }
                return try YAMLDecoder().decode(QuantizationConfig.self, from: text)
            }
        } catch let error as QuantKitError {
            throw error
        } catch let error as QuantizationConfigError {
            throw QuantKitError.invalidFile(path: path, reason: error.description)
        } catch let error as DecodingError {
            throw QuantKitError.invalidFile(path: path, reason: "quantization config: " + describe(error, syntax))
        } catch let error as YamlError {
            throw QuantKitError.invalidFile(path: path, reason: "quantization config: not valid YAML: " + oneLine(error))
        }
    }

    /// An error's description on one line (YAML parser errors quote the offending line below the message).
    private static func oneLine(_ error: Error) -> String {
        String(describing: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    /// One line for a decoding error: the dotted key path and what was wrong there.
    static func describe(_ error: DecodingError, _ syntax: FileSyntax) -> String {
        func key(_ path: [CodingKey]) -> String {
            let joined = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "top level" : "'\(joined)'"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(key(context.codingPath)) must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(key(context.codingPath)) must be \(typeName(type)), got null"
        case .keyNotFound(let missing, let context):
            return "missing key '\(missing.stringValue)' at \(key(context.codingPath))"
        case .dataCorrupted(let context):
            // YAMLDecoder wraps parser errors and the errors the config's own init(from:) throws.
            switch context.underlyingError {
            case let config as QuantizationConfigError: return String(config.description.dropFirst("quantization config: ".count))
            case let yaml as YamlError: return "not valid YAML: " + oneLine(yaml)
            case let other?:
                return context.codingPath.isEmpty ? "not valid \(syntax == .json ? "JSON" : "YAML"): \(oneLine(other))"
                    : "\(key(context.codingPath)): \(oneLine(other))"
            case nil:
                return context.codingPath.isEmpty ? "not valid \(syntax == .json ? "JSON" : "YAML"): \(context.debugDescription)"
                    : "\(key(context.codingPath)): \(context.debugDescription)"
            }
        @unknown default:
            return "\(error)"
        }
    }

    /// "a number", "true or false", … for the Swift types a config holds.
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is Int.Type, is Float.Type, is Double.Type: "a number"
        case is String.Type: "a string"
        case is [String].Type, is [Any].Type: "a list"
        case is [String: Any].Type: "a mapping of keys to values"
        default: "\(type)".hasSuffix("Mapping") ? "a mapping of keys to values" : "\(type)"
        }
    }
}
