import Foundation
import QKGraph
import QKONNX
import QKRuntime
import QKTensor

/// The outcome of one ONNX backend node test.
public enum ConformanceOutcome: Sendable, Equatable {
    case passed
    case failed(String)
    case skipped(String)
}

/// One node test and its outcome.
public struct ConformanceResult: Sendable {
    public var name: String
    public var outcome: ConformanceOutcome
}

/// Totals over a conformance run; `line` is the closing `N passed, M failed, K skipped` line.
public struct ConformanceSummary: Sendable {
    public var results: [ConformanceResult]

    public var passed: Int { results.filter { $0.outcome == .passed }.count }
    public var failed: Int { results.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var skipped: Int { results.count - passed - failed }
    public var line: String { "\(passed) passed, \(failed) failed, \(skipped) skipped" }
}

/// Test names excluded from conformance, each with the reason; read from a text file with lines
/// `test_name  # reason` (a trailing `*` in the name matches a prefix; blank lines and `#` lines are ignored).
public struct ConformanceExclusions: Sendable {
    public private(set) var reasons: [String: String] = [:]

    public init() {}

    public init(contentsOfFile path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw QuantKitError.unreadableFile(path: path, reason: "cannot read exclusion list")
        }
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "#", maxSplits: 1)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let reason = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            guard !reason.isEmpty else {
                throw QuantKitError.invalidFile(path: path, reason: "line \(number + 1): '\(name)' has no reason (write `name  # reason`)")
            }
            reasons[name] = reason
        }
    }

    /// The reason `name` is excluded, or nil.
    public func reason(for name: String) -> String? {
        if let reason = reasons[name] { return reason }
        return reasons.first { $0.key.hasSuffix("*") && name.hasPrefix($0.key.dropLast()) }?.value
    }
}

/// Runs ONNX backend node tests (`DIR/test_x/model.onnx`, `test_data_set_N/input_K.pb`, `output_K.pb`) through
/// the runtime and compares with the expected outputs: floats within |a − e| ≤ atol + rtol·|e| (the ONNX backend
/// defaults rtol = 1e-3, atol = 1e-7; NaN matches NaN), integers and booleans exactly. For float16 and bfloat16
/// outputs a difference of one unit in the last place of the expected value is also accepted: the expected
/// values are themselves rounded to that type, so one ulp is the smallest difference it can express.
public enum ConformanceRunner {
    public static let relativeTolerance = 1e-3
    public static let absoluteTolerance = 1e-7

    /// Runs every test folder under `directory` whose name contains `filter` (all when nil), in name order.
    public static func run(directory: String, exclusions: ConformanceExclusions = ConformanceExclusions(),
                           filter: String? = nil, threads: Int = 1,
                           onResult: (ConformanceResult) -> Void = { _ in }) throws -> ConformanceSummary {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw QuantKitError.unreadableFile(path: directory, reason: "not a readable directory")
        }
        var results: [ConformanceResult] = []
        for name in names.sorted() where filter.map({ name.contains($0) }) ?? true {
            let folder = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("model.onnx")) else {
                continue
            }
            let outcome: ConformanceOutcome
            if let reason = exclusions.reason(for: name) {
                outcome = .skipped("excluded: \(reason)")
            } else {
                outcome = runCase(folder: folder, threads: threads)
            }
            let result = ConformanceResult(name: name, outcome: outcome)
            results.append(result)
            onResult(result)
        }
        return ConformanceSummary(results: results)
    }

    /// Runs one test folder.
    public static func runCase(folder: String, threads: Int = 1) -> ConformanceOutcome {
        let model: Model
        do {
            model = try ONNXReader.readModel(atPath: (folder as NSString).appendingPathComponent("model.onnx"))
        } catch {
            return .skipped("model not loadable: \(error)")
        }
        let graph = model.graph
        if let value = (graph.inputs + graph.outputs).first(where: { $0.dtype == nil }) {
            return .skipped("value '\(value.name)' is not a tensor of a supported type")
        }
        if let node = graph.nodes.first(where: { OpTable.kernel(opType: $0.opType, domain: $0.normalizedDomain) == nil }) {
            return .skipped("op \(node.opType) not supported")
        }
        do {
            let interpreter = try Interpreter(model: model, threads: threads)
            let dataSets = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasPrefix("test_data_set_") }.sorted()
            guard !dataSets.isEmpty else { return .skipped("no test data") }
            for dataSet in dataSets {
                let dataFolder = (folder as NSString).appendingPathComponent(dataSet)
                var feeds: [String: Tensor] = [:]
                for (index, input) in graph.inputs.enumerated() {
                    let path = (dataFolder as NSString).appendingPathComponent("input_\(index).pb")
                    guard FileManager.default.fileExists(atPath: path) else { continue }
                    feeds[input.name] = try ONNXReader.readTensor(atPath: path).tensor
                }
                let outputs = try interpreter.run(feeds)
                for (index, output) in graph.outputs.enumerated() {
                    let path = (dataFolder as NSString).appendingPathComponent("output_\(index).pb")
                    let expected = try ONNXReader.readTensor(atPath: path).tensor
                    guard let actual = outputs[output.name] else { return .failed("\(dataSet): no output \(output.name)") }
                    if let mismatch = compare(actual, expected) {
                        return .failed("\(dataSet) output '\(output.name)': \(mismatch)")
                    }
                }
            }
            return .passed
        } catch {
            return .failed("\(error)")
        }
    }

    /// One unit in the last place of `value` in a half-precision `dtype`; 0 for wider types.
    static func ulp(of value: Double, in dtype: DType) -> Double {
        switch dtype {
        case .float16: Double(Float16(value).ulp)
        case .bfloat16: Double(Float(value).ulp) * 65536  // 7 stored mantissa bits instead of 23
        default: 0
        }
    }

    /// nil when `actual` matches `expected`, else a description of the first difference.
    public static func compare(_ actual: Tensor, _ expected: Tensor) -> String? {
        guard actual.dtype == expected.dtype else { return "dtype \(actual.dtype), expected \(expected.dtype)" }
        guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
        if actual.dtype.isFloatingPoint {
            let a = actual.converted(to: .float64).values(as: Double.self)!
            let e = expected.converted(to: .float64).values(as: Double.self)!
            for i in 0..<a.count {
                if a[i].isNaN && e[i].isNaN { continue }
                if a[i] == e[i] { continue }
                let tolerance = max(absoluteTolerance + relativeTolerance * abs(e[i]), ulp(of: e[i], in: expected.dtype))
                if abs(a[i] - e[i]) > tolerance || a[i].isNaN != e[i].isNaN {
                    return "element \(i): \(a[i]), expected \(e[i])"
                }
            }
            return nil
        }
        if actual != expected {
            let a = actual.int64Values, e = expected.int64Values
            let i = (0..<a.count).first { a[$0] != e[$0] } ?? 0
            return "element \(i): \(a[i]), expected \(e[i])"
        }
        return nil
    }
}
