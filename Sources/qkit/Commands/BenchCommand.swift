import ArgumentParser
import Foundation
import QuantKit

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's inference latency (median and p90 after warm-up) and peak memory.",
        discussion: """
            Inputs come from --data (the first --batch samples, repeated when the file has fewer). Quantized models \
            run on integer kernels unless --no-integer-execution. --compare-ort times onnxruntime on the same model, \
            feeds and threads in the same run (through scripts/ort_bench.py and --python) and prints the ratio; \
            --profile adds the time per node and op type and, for quantized models, the nodes left in fp32.

            Example:
              qkit bench Fixtures/digits/model.onnx --data Fixtures/digits/test.npz \\
                  --batch 32 --threads 1 --compare-ort
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

    @Flag(help: "Also show the time per op type and the slowest nodes, and the fp32 islands of a quantized model.")
    var profile = false

    @Flag(help: "Also time onnxruntime on the same model, feeds and threads, and print qkit / onnxruntime.")
    var compareOrt = false

    @Option(help: "Python interpreter with onnxruntime for --compare-ort (default: .venv/bin/python in the working directory or the repository that built qkit, else python3).")
    var python: String?

    @Flag(help: "Run quantized models node by node (dequantize → fp32 → quantize) instead of on integer kernels.")
    var noIntegerExecution = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        guard batch >= 1, runs >= 1, warmup >= 0 else { throw ValidationError("--batch and --runs must be ≥ 1, --warmup ≥ 0") }
    }

    func run() throws {
        let loaded = try ModelFile.load(model)
        let feeds = try LatencyBenchmark.batch(of: batch, from: DataSet.load(path: data).inputs(for: loaded.graph))
        let threads = threadOptions.threads
        let interpreter = try Interpreter(model: loaded, threads: threads, integerExecution: !noIntegerExecution)
        let stats = try LatencyBenchmark.measure(interpreter, feeds: feeds, warmup: warmup, runs: runs,
                                                 progress: progressOptions.reporter("bench", unit: "runs").update)
        let peak = LatencyBenchmark.peakResidentMB()
        let ort = try compareOrt ? ORTComparison.measure(model: model, feeds: feeds, threads: threads, warmup: warmup,
                                                         runs: runs, python: python ?? ORTComparison.defaultPython) : nil
        let nodeProfile = try profile ? NodeProfile(interpreter, feeds: feeds, runs: runs) : nil
        let report = BenchReport(model: model, batch: batch, threads: threads, integerExecution: !noIntegerExecution,
                                 qkit: stats, qkitPeakResidentMB: peak, ort: ort, profile: nodeProfile,
                                 integer: interpreter.integerFusion,
                                 batchSlicing: interpreter.batchSlicingSummary(for: feeds))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}
