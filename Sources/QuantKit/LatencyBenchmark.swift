import Foundation
import QKRuntime
import QKTensor

/// Latency statistics over repeated runs, after warm-up.
public struct LatencyStats: Codable, Sendable {
    public var runs: Int
    /// Median latency in milliseconds.
    public var medianMs: Double
    /// 90th percentile latency in milliseconds (nearest rank).
    public var p90Ms: Double
    public var minMs: Double

    /// Statistics of `samples` (seconds).
    public init(samples: [Double]) {
        let sorted = samples.sorted()
        runs = sorted.count
        func rank(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
            return sorted[index] * 1000
        }
        medianMs = sorted.isEmpty ? 0 : (sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2) * 1000
        p90Ms = rank(0.9)
        minMs = (sorted.first ?? 0) * 1000
    }
}

/// Times whole-model inference.
public enum LatencyBenchmark {
    /// Runs `interpreter` on `feeds` `warmup` times untimed, then `runs` times timed; `progress(done, total)`
    /// counts warm-up and timed runs together.
    public static func measure(_ interpreter: Interpreter, feeds: [String: Tensor], warmup: Int = 3,
                               runs: Int = 20, progress: (Int, Int) -> Void = { _, _ in }) throws -> LatencyStats {
        let total = warmup + max(1, runs)
        progress(0, total)
        for done in 0..<warmup {
            _ = try interpreter.run(feeds)
            progress(done + 1, total)
        }
        var samples: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try interpreter.run(feeds)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            progress(warmup + samples.count, total)
        }
        return LatencyStats(samples: samples)
    }

    /// Peak resident memory of this process so far, in MiB (``PeakMemory/residentBytes()`` / 2²⁰; 0 where
    /// unavailable).
    public static func peakResidentMB() -> Double {
        Double(PeakMemory.residentBytes() ?? 0) / (1024 * 1024)
    }

    /// A batch of exactly `batch` rows taken from `feeds`, repeating rows when there are fewer.
    public static func batch(of batch: Int, from feeds: [String: Tensor]) throws -> [String: Tensor] {
        try feeds.mapValues { tensor in
            let available = tensor.shape.first ?? 1
            var parts: [Tensor] = []
            var taken = 0
            while taken < batch {
                let count = min(available, batch - taken)
                parts.append(tensor.rows(0..<count))
                taken += count
            }
            return try Tensor.concatenatingRows(parts)
        }
    }
}
