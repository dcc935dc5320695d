import ArgumentParser
import QuantKit

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run ONNX backend node tests and report 'N passed, M failed, K skipped'.",
        discussion: """
            DIR holds one folder per test (model.onnx, test_data_set_N/input_K.pb, output_K.pb), as written by \
            scripts/generate_node_tests.py. Tests whose ops the runtime lacks are skipped; tests named in the \
            exclusion file are skipped with its reason. Exits 1 when any test fails.

            Example:
              qkit conformance .build/nodetests --exclusions Tests/conformance/exclusions.txt
            """)

    @Argument(help: "Directory of node test folders.")
    var directory: String

    @Option(help: "Exclusion list: lines 'test_name  # reason'.")
    var exclusions: String?

    @Option(help: "Only run tests whose name contains this text.")
    var filter: String?

    @Flag(help: "Also list skipped tests with their reasons.")
    var verbose = false

    func run() throws {
        let excluded = try exclusions.map { try ConformanceExclusions(contentsOfFile: $0) } ?? ConformanceExclusions()
        let summary = try ConformanceRunner.run(directory: directory, exclusions: excluded, filter: filter) { result in
            switch result.outcome {
            case .passed: break
            case .failed(let why): print("FAIL \(result.name): \(why)")
            case .skipped(let why): if verbose { print("skip \(result.name): \(why)") }
            }
        }
        print(summary.line)
        if summary.failed > 0 { throw ExitCode(1) }
    }
}
