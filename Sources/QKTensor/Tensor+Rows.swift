/// Slicing and joining along the first axis (the batch axis of data files).
extension Tensor {
    /// Rows `range` of the first axis: shape [n, …] → [range.count, …].
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank > 0 && range.lowerBound >= 0 && range.upperBound <= shape[0], "row range out of bounds")
        let rowSize = shape.dropFirst().reduce(1, *)
        struct Slice: ElementTransform {
            let range: Range<Int>
            func apply<T: TensorScalar>(_ values: [T]) -> [T] { Array(values[range]) }
        }
        let elements = (range.lowerBound * rowSize)..<(range.upperBound * rowSize)
        return try! Tensor(shape: [range.count] + shape.dropFirst(), storage: try! storage.map(Slice(range: elements)))
    }

    /// Joins tensors of equal dtype and equal trailing shape along the first axis.
    public static func concatenatingRows(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw TensorError.countMismatch(shape: [0], count: 0) }
        let trailing = Array(first.shape.dropFirst())
        for part in parts where part.dtype != first.dtype {
            throw TensorError.dtypeMismatch(expected: first.dtype, actual: part.dtype)
        }
        for part in parts where part.rank == 0 || Array(part.shape.dropFirst()) != trailing {
            throw TensorError.countMismatch(shape: [0] + trailing, count: part.count)
        }
        struct Append: ElementTransform {
            let parts: [TensorStorage]
            func apply<T: TensorScalar>(_ values: [T]) -> [T] {
                var joined = values
                for part in parts.dropFirst() { joined += T.values(in: part)! }
                return joined
            }
        }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        return try Tensor(shape: [rows] + trailing, storage: try first.storage.map(Append(parts: parts.map(\.storage))))
    }
}
