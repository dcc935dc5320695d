import ArgumentParser
import Foundation
import QuantKit

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on inputs from .npy/.npz files and write one <output>.npy per output.",
        discussion: """
            Examples:
              qkit run Fixtures/digits/model.onnx --inputs Fixtures/digits/test.npz \\
                  --output-dir out/
              qkit run model.onnx --input input_ids=ids.npy \\
                  --input attention_mask=mask.npy --output-dir out/
            """)

    @Argument(help: "The .onnx model.")
    var model: String

    @Option(name: .customLong("input"), help: "NAME=FILE.npy for one model input (repeatable).")
    var namedInputs: [String] = []

    @Option(name: .customLong("inputs"), help: "A .npz file with one array per model input.")
    var inputsFile: String?

    @Option(help: "Directory for the output .npy files (created if missing).")
    var outputDir: String

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard (inputsFile == nil) != namedInputs.isEmpty else {
            throw ValidationError("give either --inputs FILE.npz or one or more --input NAME=FILE.npy")
        }
        for entry in namedInputs where !entry.contains("=") {
            throw ValidationError("--input '\(entry)' must be NAME=FILE.npy")
        }
    }

    func run() throws {
        let loaded = try ModelFile.load(model)
        var arrays: [(name: String, tensor: Tensor)] = []
        if let inputsFile {
            arrays = try DataSet.load(path: inputsFile).arrays
        }
        for entry in namedInputs {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            arrays.append((parts[0], try NpyFile.read(atPath: parts[1])))
        }
        let feeds = try DataSet(path: inputsFile ?? "--input", arrays: arrays).inputs(for: loaded.graph)
        let outputs = try Interpreter(model: loaded, threads: threadOptions.threads).run(feeds)
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        for output in loaded.graph.outputs {
            guard let tensor = outputs[output.name] else { continue }
            let path = (outputDir as NSString).appendingPathComponent(ModelFile.fileName(for: output.name) + ".npy")
            try NpyFile.write(tensor, toPath: path)
            print("\(output.name): \(tensor.dtype)\(tensor.shape) -> \(path)")
        }
    }
}
