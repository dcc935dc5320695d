import ArgumentParser
import Foundation
import QuantKit

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's inference latency (median and p90 after warm-up).",
        discussion: """
            Inputs come from --data (the first --batch samples, repeated when the file has fewer).
            Example: qkit bench Fixtures/digits/model.onnx --data Fixtures/digits/test.npz --batch 32 --threads 1
            """)

    @Argument(help: "The .onnx model.")
    var model: String

    @Option(help: "A .npz with one array per model input (first axis = samples).")
    var data: String

    @Option(help: "Batch size.")
    var batch: Int = 1

    @Option(help: "Untimed runs before timing.")
    var warmup: Int = 5

    @Option(help: "Timed runs.")
    var runs: Int = 50

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also show the time per op type and the slowest nodes.")
    var profile = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        guard batch >= 1, runs >= 1, warmup >= 0 else { throw ValidationError("--batch and --runs must be ≥ 1, --warmup ≥ 0") }
    }

    func run() throws {
        let loaded = try ModelFile.load(model)
        let feeds = try LatencyBenchmark.batch(of: batch, from: DataSet.load(path: data).inputs(for: loaded.graph))
        let interpreter = try Interpreter(model: loaded, threads: threadOptions.threads)
        let stats = try LatencyBenchmark.measure(interpreter, feeds: feeds, warmup: warmup, runs: runs,
                                                 progress: progressOptions.reporter("bench", unit: "runs").update)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
        } else {
            print(String(format: "%@ batch %d, %d threads: median %.3f ms, p90 %.3f ms, min %.3f ms (%d runs)",
                         model, batch, threadOptions.threads, stats.medianMs, stats.p90Ms, stats.minMs, stats.runs))
        }
        if profile {
            print(try NodeProfile(interpreter, feeds: feeds, runs: runs).text())
        }
    }
}
