import Foundation
import QKRuntime

/// The result of `qkit bench`: qkit's latency and peak memory, optionally onnxruntime's on the same model and
/// feeds, the per-node profile and, for quantized models, what ran in integer form and what stayed float.
public struct BenchReport: Codable, Sendable {
    public var model: String
    public var batch: Int
    public var threads: Int
    /// Whether quantized patterns ran on integer kernels (``IntegerFusion``).
    public var integerExecution: Bool
    public var qkit: LatencyStats
    /// Peak resident memory of the qkit process, MiB.
    public var qkitPeakResidentMB: Double
    public var ort: ORTLatency?
    /// qkit median / onnxruntime median (below 1: qkit is faster).
    public var ratio: Double?
    public var profile: NodeProfile?
    public var integer: IntegerFusionReport?
    /// Whether the timed runs were batch-sliced, and why not (``Interpreter/batchSlicingSummary(for:)``).
    public var batchSlicing: String?

    public init(model: String, batch: Int, threads: Int, integerExecution: Bool, qkit: LatencyStats,
                qkitPeakResidentMB: Double, ort: ORTLatency? = nil, profile: NodeProfile? = nil,
                integer: IntegerFusionReport? = nil, batchSlicing: String? = nil) {
        self.model = model
        self.batch = batch
        self.threads = threads
        self.integerExecution = integerExecution
        self.qkit = qkit
        self.qkitPeakResidentMB = qkitPeakResidentMB
        self.ort = ort
        self.ratio = ort.map { qkit.medianMs / max($0.latency.medianMs, 1e-9) }
        self.profile = profile
        self.integer = integer
        self.batchSlicing = batchSlicing
    }

    /// Human-readable lines.
    public var text: String {
        func line(_ name: String, _ s: LatencyStats, _ memory: Double) -> String {
            String(format: "  %@ median %.3f ms, p90 %.3f ms, min %.3f ms (%d runs), peak RSS %.1f MiB",
                   name.padding(toLength: 12, withPad: " ", startingAt: 0), s.medianMs, s.p90Ms, s.minMs, s.runs, memory)
        }
        var lines = ["\(model) batch \(batch), \(threads) thread\(threads == 1 ? "" : "s")"
                     + (integerExecution ? "" : ", integer execution off") + ":",
                     line("qkit", qkit, qkitPeakResidentMB)]
        if let ort, let ratio {
            lines.append(line("onnxruntime", ort.latency, ort.peakResidentMB))
            lines.append(String(format: "  qkit / onnxruntime = %.2f× (onnxruntime %@; below 1 means qkit is faster)",
                                ratio, ort.onnxruntime))
        }
        if let batchSlicing, profile != nil { lines.append(batchSlicing) }
        if let profile { lines.append(profile.text()) }
        if let integer, profile != nil { lines.append(contentsOf: Self.diagnosis(integer)) }
        return lines.joined(separator: "\n")
    }

    /// The integer-execution diagnosis: nodes fused, and float islands with the reason each stayed float.
    public static func diagnosis(_ report: IntegerFusionReport) -> [String] {
        let byOp = Dictionary(grouping: report.fused, by: \.detail).map { "\($0.key) \($0.value.count)" }.sorted()
        var lines = ["integer execution: \(report.fused.count) node\(report.fused.count == 1 ? "" : "s") fused"
                     + (byOp.isEmpty ? "" : " (\(byOp.joined(separator: ", ")))")]
        if report.floatIslands.isEmpty {
            lines.append("float islands: none (every quantized op runs on integer kernels)")
        } else {
            lines.append("float islands: \(report.floatIslands.count) node\(report.floatIslands.count == 1 ? "" : "s") run in fp32 between Q/DQ pairs:")
            lines += report.floatIslands.map { "  \($0.node) (\($0.opType)): \($0.detail)" }
        }
        return lines
    }
}
