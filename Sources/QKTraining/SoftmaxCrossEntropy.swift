import Foundation

/// Softmax followed by the cross-entropy of integer labels, fused for numerical stability, on logits [N, K]:
///
///     p = softmax(z) = exp(z − max z) / Σ exp(z − max z)
///     L = −(1/N) Σ_n log p[n, label_n]          dL/dz = (p − onehot(label)) / N
public enum SoftmaxCrossEntropy {
    /// The mean loss and its gradient with respect to the logits.
    public static func evaluate(logits: TrainTensor, labels: [Int]) -> (loss: Double, gradient: TrainTensor) {
        let classes = logits.shape.last ?? 1, rows = logits.count / max(classes, 1)
        precondition(labels.count == rows, "\(labels.count) labels for \(rows) rows of logits")
        var gradient = [Float](repeating: 0, count: logits.count)
        var total: Double = 0
        for row in 0..<rows {
            let base = row * classes
            var peak = -Float.infinity
            for k in 0..<classes { peak = max(peak, logits.values[base + k]) }
            var sum: Double = 0
            for k in 0..<classes { sum += Foundation.exp(Double(logits.values[base + k] - peak)) }
            let logSum = Foundation.log(sum)
            total += logSum - Double(logits.values[base + labels[row]] - peak)
            for k in 0..<classes {
                let p = Foundation.exp(Double(logits.values[base + k] - peak) - logSum)
                gradient[base + k] = Float((p - (k == labels[row] ? 1 : 0)) / Double(rows))
            }
        }
        return (total / Double(rows), TrainTensor(shape: logits.shape, values: gradient))
    }

    /// Index of the largest logit in each row (the first on ties).
    public static func predictions(_ logits: TrainTensor) -> [Int] {
        let classes = logits.shape.last ?? 1, rows = logits.count / max(classes, 1)
        return (0..<rows).map { row in
            var best = 0
            for k in 1..<max(classes, 1) where logits.values[row * classes + k] > logits.values[row * classes + best] {
                best = k
            }
            return best
        }
    }
}
