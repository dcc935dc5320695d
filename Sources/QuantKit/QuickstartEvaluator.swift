import Foundation

extension Quickstart {
    /// An ``Evaluator`` that measures each model in a fresh process, `executable eval MODEL --data DATA --json
    /// --quiet --threads N [--labels KEY]` (QuantKit's own `qkit`), so that each variant's peak resident memory
    /// is its own and not the high-water mark of everything evaluated before it in this process.
    public static func processEvaluator(executable: String, data: String, labels: String?, threads: Int) -> Evaluator {
        { modelPath in
            var arguments = ["eval", modelPath, "--data", data, "--json", "--quiet", "--threads", "\(threads)"]
            if let labels { arguments += ["--labels", labels] }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let stdout = output.fileHandleForReading.readDataToEndOfFile()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let message = String(decoding: stderr, as: UTF8.self).split(separator: "\n").last.map(String.init)
                throw QuantKitError.invalidFile(path: modelPath, reason: "evaluation failed: \(message ?? "exit \(process.terminationStatus)")")
            }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                             negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(EvaluationResult.self, from: stdout)
        }
    }
}
