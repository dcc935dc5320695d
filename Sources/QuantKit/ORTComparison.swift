import Foundation
import QKTensor

/// onnxruntime's latency on the same model and feeds, measured by scripts/ort_bench.py in a Python interpreter.
public struct ORTLatency: Codable, Sendable {
    /// onnxruntime's version.
    public var onnxruntime: String
    public var latency: LatencyStats
    /// Peak resident memory of the Python process, MiB.
    public var peakResidentMB: Double
}

/// Runs onnxruntime through `scripts/ort_bench.py` (shipped in the repository) so that `qkit bench
/// --compare-ort` times both runtimes in one run: same model, feeds, threads, warm-up and number of runs.
public enum ORTComparison {
    /// The repository's `.venv/bin/python` (the test venv next to scripts/ort_bench.py, searched like
    /// `scriptPath()`), else `python3` from PATH.
    public static var defaultPython: String {
        for base in repositoryCandidates() {
            let path = URL(fileURLWithPath: base).appendingPathComponent(".venv/bin/python").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return "python3"
    }

    /// scripts/ort_bench.py: $QKIT_ORT_BENCH, else found from the working directory or from the directories
    /// above the qkit executable (the repository that built it).
    public static func scriptPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["QKIT_ORT_BENCH"] { return path }
        for base in repositoryCandidates() {
            let path = URL(fileURLWithPath: base).appendingPathComponent("scripts/ort_bench.py").path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw QuantKitError.invalidArgument("cannot find scripts/ort_bench.py (run from the QuantKit repository or set QKIT_ORT_BENCH)")
    }

    /// The working directory, then the six directories above the qkit executable, in that order.
    private static func repositoryCandidates() -> [String] {
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory.path)
            directory.deleteLastPathComponent()
        }
        return candidates
    }

    /// Times onnxruntime on `model` with `feeds` (written to a temporary .npz, removed afterwards).
    public static func measure(model: String, feeds: [String: Tensor], threads: Int, warmup: Int, runs: Int,
                               python: String) throws -> ORTLatency {
        let script = try scriptPath()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qkit-ort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let feedPath = directory.appendingPathComponent("feeds.npz").path
        try NpzFile.write(feeds.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, toPath: feedPath,
                          compressed: false)
        let process = Process()
        let arguments = [script, model, "--feeds", feedPath, "--threads", "\(threads)", "--warmup", "\(warmup)", "--runs", "\(runs)"]
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python] + arguments
        }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw QuantKitError.invalidArgument("cannot run Python '\(python)': \(error.localizedDescription)")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw QuantKitError.invalidArgument("onnxruntime comparison failed (\(python) \(script)): \(reason)")
        }
        struct Reply: Decodable {
            let onnxruntime: String
            let samplesMs: [Double]
            let peakResidentMB: Double
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: stdout) else {
            throw QuantKitError.invalidArgument("onnxruntime comparison: \(script) printed no JSON result")
        }
        return ORTLatency(onnxruntime: reply.onnxruntime, latency: LatencyStats(samples: reply.samplesMs.map { $0 / 1000 }),
                          peakResidentMB: reply.peakResidentMB)
    }
}
