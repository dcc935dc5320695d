/// The elements of a tensor, one case per ``DType``, in row-major (C) order.
///
/// `int4` and `uint4` hold one 4-bit value per array element, unpacked (−8 … 7 in `Int8`s, 0 … 15 in `UInt8`s;
/// ``Tensor/init(shape:storage:)`` checks the range), so element-moving code treats them as one-byte types.
public enum TensorStorage: Sendable, Equatable {
    case float32([Float]), float16([Float16]), bfloat16([BFloat16]), float64([Double])
    case int8([Int8]), uint8([UInt8]), int16([Int16]), uint16([UInt16]), int32([Int32]), int64([Int64])
    case bool([Bool])
    case int4([Int8]), uint4([UInt8])

    public var dtype: DType {
        switch self {
        case .float32: .float32
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .float64: .float64
        case .int8: .int8
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .int64: .int64
        case .bool: .bool
        case .int4: .int4
        case .uint4: .uint4
        }
    }

    public var count: Int {
        switch self {
        case .float32(let v): v.count
        case .float16(let v): v.count
        case .bfloat16(let v): v.count
        case .float64(let v): v.count
        case .int8(let v): v.count
        case .uint8(let v): v.count
        case .int16(let v): v.count
        case .uint16(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        case .bool(let v): v.count
        case .int4(let v): v.count
        case .uint4(let v): v.count
        }
    }
}

/// Errors raised when building or reading tensors from untrusted data.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case countMismatch(shape: [Int], count: Int)
    case negativeDimension(shape: [Int])
    case dtypeMismatch(expected: DType, actual: DType)
    case byteCountMismatch(dtype: DType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    case valueOutOfRange(dtype: DType, value: Int, index: Int)

    public var description: String {
        switch self {
        case .countMismatch(let shape, let count):
            "shape \(shape) needs \(shape.reduce(1, *)) elements but \(count) were given"
        case .negativeDimension(let shape):
            "shape \(shape) has a negative dimension"
        case .dtypeMismatch(let expected, let actual):
            "expected a \(expected) tensor, got \(actual)"
        case .byteCountMismatch(let dtype, let shape, let expected, let actual):
            "\(dtype) tensor of shape \(shape) needs \(expected) bytes, got \(actual)"
        case .valueOutOfRange(let dtype, let value, let index):
            "element \(index) is \(value), outside the \(dtype) range \(dtype.fourBitRange.map { "\($0)" } ?? "")"
        }
    }
}

/// A dense, row-major n-dimensional array with a value-semantics storage.
///
/// A scalar has shape `[]` and one element. Elements are addressed in C order:
/// offset = Σ index[i] · stride[i], stride[last] = 1, stride[i] = stride[i+1] · shape[i+1].
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public private(set) var storage: TensorStorage

    /// Creates a tensor; throws when the element count does not match the shape, or when an int4/uint4 element
    /// lies outside its 4-bit range.
    public init(shape: [Int], storage: TensorStorage) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.negativeDimension(shape: shape) }
        guard shape.reduce(1, *) == storage.count else {
            throw TensorError.countMismatch(shape: shape, count: storage.count)
        }
        if let bad = storage.firstFourBitViolation {
            throw TensorError.valueOutOfRange(dtype: storage.dtype, value: bad.value, index: bad.index)
        }
        self.shape = shape
        self.storage = storage
    }

    /// Creates a tensor from typed values. The count must match the shape (a programming error otherwise).
    public init<T: TensorScalar>(shape: [Int], values: [T]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.storage = T.storage(values)
    }

    /// A scalar (rank-0) tensor.
    public init<T: TensorScalar>(scalar: T) { self.init(shape: [], values: [scalar]) }

    /// A tensor of `dtype` filled with zeros (false for bool).
    public init(zeros dtype: DType, shape: [Int]) {
        let n = shape.reduce(1, *)
        self.shape = shape
        switch dtype {
        case .float32: storage = .float32(Array(repeating: 0, count: n))
        case .float16: storage = .float16(Array(repeating: 0, count: n))
        case .bfloat16: storage = .bfloat16(Array(repeating: BFloat16(bitPattern: 0), count: n))
        case .float64: storage = .float64(Array(repeating: 0, count: n))
        case .int8: storage = .int8(Array(repeating: 0, count: n))
        case .uint8: storage = .uint8(Array(repeating: 0, count: n))
        case .int16: storage = .int16(Array(repeating: 0, count: n))
        case .uint16: storage = .uint16(Array(repeating: 0, count: n))
        case .int32: storage = .int32(Array(repeating: 0, count: n))
        case .int64: storage = .int64(Array(repeating: 0, count: n))
        case .bool: storage = .bool(Array(repeating: false, count: n))
        case .int4: storage = .int4(Array(repeating: 0, count: n))
        case .uint4: storage = .uint4(Array(repeating: 0, count: n))
        }
    }

    public var dtype: DType { storage.dtype }
    public var rank: Int { shape.count }
    /// Number of elements (the product of the shape; 1 for a scalar).
    public var count: Int { storage.count }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.strides(for: shape) }

    /// Row-major strides in elements for `shape`.
    public static func strides(for shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The elements as `T`, or nil when the tensor's dtype is not `T.dtype`.
    public func values<T: TensorScalar>(as type: T.Type) -> [T]? { T.values(in: storage) }

    /// The elements as `T`; throws ``TensorError/dtypeMismatch(expected:actual:)`` for another dtype.
    public func requireValues<T: TensorScalar>(as type: T.Type) throws -> [T] {
        guard let values = T.values(in: storage) else { throw TensorError.dtypeMismatch(expected: T.dtype, actual: dtype) }
        return values
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }
}
