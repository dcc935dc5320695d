import QKTensor

/// A float32 array with its shape: the value the training engine computes on (row-major, C order).
public struct TrainTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    /// A tensor of `values` laid out as `shape`; the count must match (a programming error otherwise).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: Array(repeating: 0, count: shape.reduce(1, *)))
    }

    /// The float32 view of a floating-point ``Tensor`` (float16/bfloat16/float64 converted).
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, values: tensor.floatValues)
    }

    public var count: Int { values.count }
    public var rank: Int { shape.count }

    /// The same values as a float32 ``Tensor``.
    public var tensor: Tensor { Tensor(shape: shape, values: values) }

    /// The same values viewed with another shape of equal count.
    func reshaped(_ newShape: [Int]) -> TrainTensor { TrainTensor(shape: newShape, values: values) }

    /// Adds `other` (same count) element by element.
    mutating func accumulate(_ other: TrainTensor) {
        precondition(other.count == count, "gradient size \(other.count) does not match \(count)")
        values.withUnsafeMutableBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
    }
}
