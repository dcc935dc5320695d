import ArgumentParser
import Foundation
import QuantKit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's inputs, outputs, op histogram, parameter count and size by dtype.",
        discussion: "Example: qkit inspect Fixtures/digits/model.onnx --json")

    @Argument(help: "The .onnx model.")
    var model: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let summary = ModelSummary(model: try ModelFile.load(model))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
    }
}
