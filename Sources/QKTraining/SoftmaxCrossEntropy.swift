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

    /// Knowledge distillation (Hinton et al. 2015) mixed with the label loss, weight α ∈ [0, 1], temperature T:
    ///
    ///     q = softmax(t / T) (teacher),   p_T = softmax(z / T)
    ///     L = (1 − α) · L_labels + α · T² · (−1/N) Σ_n Σ_k q[n, k] log p_T[n, k]
    ///     dL/dz = (1 − α) · dL_labels/dz + α · T · (p_T − q) / N
    ///
    /// (T² keeps the soft term's gradient on the scale of the label term's.)
    public static func evaluate(logits: TrainTensor, labels: [Int], teacher: TrainTensor, weight alpha: Float,
                                temperature: Float) -> (loss: Double, gradient: TrainTensor) {
        let rows = logits.count / max(logits.shape.last ?? 1, 1)
        return evaluate(logits: logits, labels: labels, teacher: teacher,
                        weights: [Float](repeating: alpha, count: rows), temperature: temperature)
    }

    /// The same with a weight α_n per row (1: that row learns the teacher only):
    ///
    ///     L = (1/N) Σ_n [(1 − α_n) · (−log p[n, label_n]) − α_n · T² · Σ_k q[n, k] log p_T[n, k]]
    public static func evaluate(logits: TrainTensor, labels: [Int], teacher: TrainTensor, weights: [Float],
                                temperature: Float) -> (loss: Double, gradient: TrainTensor) {
        precondition(teacher.shape == logits.shape, "teacher logits \(teacher.shape) vs logits \(logits.shape)")
        let classes = logits.shape.last ?? 1, rows = logits.count / max(classes, 1)
        precondition(weights.count == rows, "\(weights.count) distillation weights for \(rows) rows")
        var (_, gradient) = evaluate(logits: logits, labels: labels)
        let t = Double(temperature)
        var loss: Double = 0
        for row in 0..<rows {
            let base = row * classes, a = Double(weights[row])
            let q = softmax(teacher.values[base..<base + classes], temperature: t)
            let p = softmax(logits.values[base..<base + classes], temperature: t)
            loss += (1 - a) * negativeLogLikelihood(logits.values[base..<base + classes], label: labels[row]) / Double(rows)
            for k in 0..<classes {
                loss -= a * t * t * q[k] * Foundation.log(max(p[k], Double.leastNormalMagnitude)) / Double(rows)
                gradient.values[base + k] *= Float(1 - a)
                gradient.values[base + k] += Float(a * t * (p[k] - q[k]) / Double(rows))
            }
        }
        return (loss, gradient)
    }

    /// −log softmax(z)[label] of one row: log Σ_k exp(z_k − max z) − (z_label − max z), in double precision.
    static func negativeLogLikelihood(_ row: ArraySlice<Float>, label: Int) -> Double {
        let peak = row.max() ?? 0
        let sum = row.reduce(0.0) { $0 + Foundation.exp(Double($1 - peak)) }
        return Foundation.log(sum) - Double(row[row.startIndex + label] - peak)
    }

    /// softmax(z / T) of one row, in double precision.
    static func softmax(_ row: ArraySlice<Float>, temperature: Double) -> [Double] {
        let peak = Double(row.max() ?? 0)
        let exps = row.map { Foundation.exp((Double($0) - peak) / temperature) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
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
