import ArgumentParser
import Foundation
import QuantKit

struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Run the shipped digits CNN on its test set and print accuracy, size and latency.",
        discussion: "Example: qkit quickstart --model my.onnx --data my_test.npz")

    @Option(help: "The .onnx model.")
    var model = "Fixtures/digits/model.onnx"

    @Option(help: "Labelled test data (.npz with the model inputs and 'labels').")
    var data = "Fixtures/digits/test.npz"

    @Option(help: "Key of the labels array in --data.")
    var labels = "labels"

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        let loaded = try ModelFile.load(model)
        let dataSet = try DataSet.load(path: data)
        let feeds = try dataSet.inputs(for: loaded.graph)
        let samples = feeds.values.first?.shape.first ?? 0
        let truth = try dataSet.labels(key: labels, count: samples)
        let interpreter = try Interpreter(model: loaded, threads: threadOptions.threads)
        let start = Date()
        let outputs = try BatchRunner.run(interpreter, feeds: feeds, batchSize: 64)
        let seconds = Date().timeIntervalSince(start)
        guard let first = loaded.graph.outputs.first, let logits = outputs[first.name] else {
            throw QuantKitError.invalidArgument("\(model): the model has no output")
        }
        let accuracy = BatchRunner.accuracy(predictions: BatchRunner.argmaxRows(logits), labels: truth)
        let size = (try? FileManager.default.attributesOfItem(atPath: model)[.size] as? Int) ?? 0
        let single = try LatencyBenchmark.measure(interpreter, feeds: LatencyBenchmark.batch(of: 1, from: feeds))
        print("model      \(model)")
        print("data       \(data) (\(samples) samples)")
        print("")
        print("variant  accuracy  size        latency (batch 1, median)")
        print(String(format: "fp32     %6.2f %%  %-10@  %.3f ms", accuracy * 100, formatBytes(size), single.medianMs))
        print("")
        print(String(format: "evaluated %d samples in %.2f s", samples, seconds))
    }
}
