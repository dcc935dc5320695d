import Foundation

/// How a report command measures one model file (accuracy, latency, size on disk, peak memory).
public enum ReportEvaluator {
    /// Measures the model at a path.
    public typealias Evaluate = (_ modelPath: String) throws -> EvaluationResult

    /// ``Evaluation/run(modelPath:data:options:progress:)`` in this process. Its peak memory is the process's
    /// high-water mark, so it only grows from one model to the next.
    public static func inProcess(data: DataSet, options: EvaluationOptions) -> Evaluate {
        { path in try Evaluation.run(modelPath: path, data: data, options: options) }
    }

    /// Runs `executable eval MODEL --data DATA --json --quiet --threads N [--labels KEY]` (QuantKit's own `qkit`)
    /// in a fresh process per model, so that each model's peak resident memory is its own.
    public static func freshProcess(executable: String, data: String, labels: String?, threads: Int) -> Evaluate {
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
                throw QuantKitError.invalidFile(path: modelPath,
                                                reason: "evaluation failed: \(message ?? "exit \(process.terminationStatus)")")
            }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                             negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(EvaluationResult.self, from: stdout)
        }
    }

    /// The running executable's path (`/proc/self/exe` resolved, else the bundle's or argv[0]).
    public static func currentExecutable() -> String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if link != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: link) { return link }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
