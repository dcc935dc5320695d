import QKTensor

/// Labelled samples: one array per model input (first axis = samples) and one integer label per sample.
public struct TrainingData: Sendable {
    public var inputs: [String: TrainTensor]
    public var labels: [Int]
    /// A teacher's logits [samples, classes] for distillation (``TrainingConfig/distillation``), when set.
    public var teacherLogits: TrainTensor?
    /// Per sample: true where only the teacher's soft targets train it (distillation weight 1, labels unused);
    /// nil for none (``TrainingConfig/shiftTeacherOnly``).
    public var teacherOnly: [Bool]?

    /// Checks that every array has `labels.count` samples.
    public init(inputs: [String: TrainTensor], labels: [Int]) throws {
        for (name, tensor) in inputs.sorted(by: { $0.key < $1.key }) where tensor.shape.first != labels.count {
            throw TrainingError.invalidData("array '\(name)' has shape \(tensor.shape) but there are \(labels.count) "
                + "labels; the first axis must count the samples")
        }
        guard !labels.isEmpty else { throw TrainingError.invalidData("the data set has no samples") }
        self.inputs = inputs
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// A seeded split into training and validation samples: a Fisher–Yates permutation of the sample indices
    /// driven by ``SplitMix64`` (`seed`); its first max(1, round(fraction · n)) samples validate and the rest
    /// train, each part keeping the original sample order. Teacher logits follow their samples.
    public func split(validationFraction fraction: Float, seed: UInt64) throws -> (training: TrainingData,
                                                                                 validation: TrainingData) {
        guard fraction > 0, fraction < 1 else {
            throw TrainingError.invalidConfig("validation split must be in (0, 1), got \(fraction)")
        }
        let held = Swift.max(1, Int((fraction * Float(count)).rounded()))
        guard held < count else {
            throw TrainingError.invalidData("a validation split of \(fraction) leaves no training samples out of \(count)")
        }
        var order = Array(0..<count)
        var random = SplitMix64(seed: seed)
        Trainer.shuffle(&order, &random)
        func part(_ indices: [Int]) throws -> TrainingData {
            let sorted = indices.sorted()
            let rows = batch(sorted[...])
            var result = try TrainingData(inputs: rows.inputs, labels: rows.labels)
            result.teacherLogits = rows.teacher
            result.teacherOnly = teacherOnly.map { flags in sorted.map { flags[$0] } }
            return result
        }
        return (try part(Array(order[held...])), try part(Array(order[..<held])))
    }

    /// The samples at `indices`, in that order.
    func batch(_ indices: ArraySlice<Int>) -> (inputs: [String: TrainTensor], labels: [Int], teacher: TrainTensor?,
                                               teacherOnly: [Bool]?) {
        var feeds: [String: TrainTensor] = [:]
        for (name, tensor) in inputs {
            let size = tensor.count / max(count, 1)
            var values = [Float](repeating: 0, count: indices.count * size)
            values.withUnsafeMutableBufferPointer { dst in
                tensor.values.withUnsafeBufferPointer { src in
                    for (row, sample) in indices.enumerated() {
                        (dst.baseAddress! + row * size).update(from: src.baseAddress! + sample * size, count: size)
                    }
                }
            }
            feeds[name] = TrainTensor(shape: [indices.count] + tensor.shape.dropFirst(), values: values)
        }
        let teacher = teacherLogits.map { all in
            let classes = all.count / max(count, 1)
            return TrainTensor(shape: [indices.count, classes],
                               values: indices.flatMap { all.values[$0 * classes..<($0 + 1) * classes] })
        }
        return (feeds, indices.map { labels[$0] }, teacher, teacherOnly.map { flags in indices.map { flags[$0] } })
    }
}
