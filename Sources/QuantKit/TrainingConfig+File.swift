import Foundation

extension TrainingConfig {
    /// The JSON training config at `path` decoded over `base` (keys it names replace base's values, the rest stay).
    /// Throws ``QuantKitError`` naming the file for an unreadable file, invalid JSON, a value of the wrong type or
    /// an unknown (e.g. misspelt) key.
    public static func load(contentsOfFile path: String, over base: TrainingConfig) throws -> TrainingConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuantKitError.unreadableFile(path: path, reason: "cannot read the training config")
        }
        do {
            return try decoded(from: data, over: base)
        } catch let error as UnknownConfigKey {
            throw QuantKitError.invalidFile(path: path, reason: "training config: \(error)")
        } catch let error as DecodingError {
            throw QuantKitError.invalidFile(path: path, reason: "training config: "
                + QuantizationConfig.describe(error, .json))
        }
    }
}
