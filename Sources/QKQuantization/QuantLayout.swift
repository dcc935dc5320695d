/// How tensor elements map to entries of ``QuantParameters`` (row-major).
///
/// The tensor is seen as [outer, dim, inner] around the quantization axis. Elements are visited in runs of
/// `inner` contiguous values; within a run the parameter index is `paramStart + k · paramStride`:
///
/// | granularity | runs                  | paramStart                        | paramStride |
/// |-------------|-----------------------|-----------------------------------|-------------|
/// | per-tensor  | one run of all values | 0                                 | 0           |
/// | per-axis    | (o, a) for each       | a                                 | 0           |
/// | per-block   | (o, a) for each       | (o · ⌈dim/B⌉ + a / B) · inner      | 1           |
struct QuantLayout {
    let outer: Int
    let dim: Int
    let inner: Int
    let blockSize: Int?
    let perTensor: Bool

    /// Validates `parameters` against `shape` and returns the layout.
    init(shape: [Int], parameters: QuantParameters) throws {
        let count = shape.reduce(1, *)
        guard let rawAxis = parameters.axis else {
            guard parameters.scales.count == 1, parameters.zeroPoints.count == 1 else {
                throw QuantizationError.parameterCount(
                    expected: 1, actual: Swift.max(parameters.scales.count, parameters.zeroPoints.count), shape: shape)
            }
            (outer, dim, inner, blockSize, perTensor) = (1, 1, count, nil, true)
            return
        }
        let axis = rawAxis < 0 ? rawAxis + shape.count : rawAxis
        guard shape.indices.contains(axis) else { throw QuantizationError.axisOutOfRange(axis: rawAxis, shape: shape) }
        outer = shape[..<axis].reduce(1, *)
        dim = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        perTensor = false
        blockSize = parameters.blockSize
        let expected: Int
        if let size = parameters.blockSize {
            guard size >= 1 else { throw QuantizationError.invalidBlockSize(size) }
            expected = outer * ((dim + size - 1) / size) * inner
        } else {
            expected = dim
        }
        guard parameters.scales.count == expected, parameters.zeroPoints.count == expected else {
            throw QuantizationError.parameterCount(
                expected: expected, actual: Swift.max(parameters.scales.count, parameters.zeroPoints.count),
                shape: shape)
        }
    }

    /// Number of parameter entries this layout uses.
    var parameterCount: Int {
        if perTensor { return 1 }
        guard let size = blockSize else { return dim }
        return outer * ((dim + size - 1) / size) * inner
    }

    /// Calls `body(start, count, paramStart, paramStride)` for every run of contiguous elements.
    func forEachRun(_ body: (Int, Int, Int, Int) -> Void) {
        if perTensor {
            body(0, inner, 0, 0)
            return
        }
        let blocks = blockSize.map { (dim + $0 - 1) / $0 } ?? 0
        for o in 0..<outer {
            for a in 0..<dim {
                let start = (o * dim + a) * inner
                if let size = blockSize {
                    body(start, inner, (o * blocks + a / size) * inner, 1)
                } else {
                    body(start, inner, a, 0)
                }
            }
        }
    }
}
