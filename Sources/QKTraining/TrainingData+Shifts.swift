extension TrainingData {
    /// The data augmented with translated copies of every image: for each shift (dy, dx) with |dy|, |dx| ≤
    /// `maxShift` (row-major, dy outer, (0, 0) first), all samples with their last two axes (height, width) moved
    /// by (dy, dx) and the vacated pixels zero:
    ///
    ///     shifted[n, …, y, x] = input[n, …, y − dy, x − dx]  where 0 ≤ y − dy < H and 0 ≤ x − dx < W, else 0.
    ///
    /// The result holds (2·maxShift + 1)² · count samples, copy k being shift k of the list above; labels repeat
    /// per copy. Teacher logits are dropped (they belong to the unshifted images; compute them on the result).
    /// With `teacherOnly`, the shifted copies (samples from `count` on) are marked ``teacherOnly``; marks the
    /// samples already have carry over to their copies. Every input must have rank ≥ 3 (samples, …, height, width), and each side
    /// must exceed `maxShift`.
    public func shifted(maxShift: Int, teacherOnly: Bool = false) throws -> TrainingData {
        guard maxShift >= 0 else { throw TrainingError.invalidConfig("shift augmentation must be ≥ 0, got \(maxShift)") }
        guard maxShift > 0 else { return self }
        for (name, tensor) in inputs.sorted(by: { $0.key < $1.key }) {
            guard tensor.rank >= 3, tensor.shape.suffix(2).allSatisfy({ $0 > maxShift }) else {
                throw TrainingError.invalidData("shift augmentation moves the last two axes (height, width) of image "
                    + "inputs; input '\(name)' has shape \(tensor.shape)")
            }
        }
        let range = -maxShift...maxShift
        let shifts = [(0, 0)] + range.flatMap { dy in range.map { dx in (dy, dx) } }.filter { $0 != (0, 0) }
        var augmented: [String: TrainTensor] = [:]
        for (name, tensor) in inputs {
            var values: [Float] = []
            values.reserveCapacity(tensor.count * shifts.count)
            for (dy, dx) in shifts { values += Self.translate(tensor, dy: dy, dx: dx) }
            augmented[name] = TrainTensor(shape: [tensor.shape[0] * shifts.count] + tensor.shape.dropFirst(),
                                          values: values)
        }
        var result = try TrainingData(inputs: augmented, labels: Array(repeating: labels, count: shifts.count).flatMap { $0 })
        if teacherOnly || self.teacherOnly != nil {
            let original = self.teacherOnly ?? [Bool](repeating: false, count: count)
            result.teacherOnly = original + Array(repeating: original.map { $0 || teacherOnly }, count: shifts.count - 1).flatMap { $0 }
        }
        return result
    }

    /// `tensor`'s planes (last two axes H × W) moved by dy rows and dx columns, zero filled.
    static func translate(_ tensor: TrainTensor, dy: Int, dx: Int) -> [Float] {
        let (height, width) = (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
        let plane = height * width
        var result = [Float](repeating: 0, count: tensor.count)
        tensor.values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for base in stride(from: 0, to: tensor.count, by: plane) {
                    for y in max(0, dy)..<min(height, height + dy) {
                        for x in max(0, dx)..<min(width, width + dx) {
                            target[base + y * width + x] = source[base + (y - dy) * width + (x - dx)]
                        }
                    }
                }
            }
        }
        return result
    }
}
