import Foundation
import QKGraph
import QKONNX

/// Loading and saving models by path, with the checks the command line needs.
public enum ModelFile {
    /// Reads an ONNX model (external data resolved relative to its directory).
    public static func load(_ path: String) throws -> Model {
        try ONNXReader.readModel(atPath: path)
    }

    /// Writes `model` atomically (temp file, then rename); initializers of at least `externalDataThreshold` bytes
    /// go to `<file>.data` beside it.
    public static func save(_ model: Model, to path: String, externalDataThreshold: Int? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        let folder = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw QuantKitError.invalidArgument("\(path): output directory '\(folder)' does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw QuantKitError.invalidArgument("\(path): output directory '\(folder)' is not writable")
        }
        try ONNXWriter.write(model, toPath: path, externalDataThreshold: externalDataThreshold)
    }

    /// Refuses an output path that names the input file (which would destroy the input).
    public static func requireDistinct(input: String, output: String) throws {
        let a = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        let b = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        if a == b {
            throw QuantKitError.invalidArgument("\(output): the output must not overwrite the input model")
        }
    }

    /// A file name for a tensor name (path separators and other unsafe characters replaced by '_').
    public static func fileName(for tensorName: String) -> String {
        let safe = tensorName.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }
        let name = String(safe)
        return name.isEmpty || name.hasPrefix(".") ? "_" + name : name
    }
}
