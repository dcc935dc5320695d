import QKRuntime
import QKTensor

/// Runs a model over many samples in batches along the first axis and joins the outputs.
public enum BatchRunner {
    /// Runs `interpreter` on `feeds` (all with the same first dimension N) in batches of `batchSize` and returns
    /// the graph outputs with the batches concatenated (first dimension N). `progress(done, total)` is called
    /// after each batch.
    public static func run(_ interpreter: Interpreter, feeds: [String: Tensor], batchSize: Int,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> [String: Tensor] {
        let total = feeds.values.first?.shape.first ?? 1
        let step = max(1, batchSize)
        var parts: [String: [Tensor]] = [:]
        var start = 0
        while start < total {
            let range = start..<min(total, start + step)
            let batch = feeds.mapValues { $0.rows(range) }
            for (name, value) in try interpreter.run(batch) { parts[name, default: []].append(value) }
            start = range.upperBound
            progress(start, total)
        }
        return try parts.mapValues { try Tensor.concatenatingRows($0) }
    }

    /// Index of the largest value in each row of a [N, C] (or [N, …, C] flattened to rows) float tensor.
    public static func argmaxRows(_ logits: Tensor) -> [Int] {
        let values = logits.floatValues
        let classes = logits.shape.last ?? 1
        guard classes > 0 else { return [] }
        return stride(from: 0, to: values.count, by: classes).map { start in
            var best = start
            for i in start..<(start + classes) where values[i] > values[best] { best = i }
            return best - start
        }
    }

    /// Fraction of `predictions` equal to `labels`.
    public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
}
