/// Labelled samples: one array per model input (first axis = samples) and one integer label per sample.
public struct TrainingData: Sendable {
    public var inputs: [String: TrainTensor]
    public var labels: [Int]

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

    /// The samples at `indices`, in that order.
    func batch(_ indices: ArraySlice<Int>) -> (inputs: [String: TrainTensor], labels: [Int]) {
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
        return (feeds, indices.map { labels[$0] })
    }
}
