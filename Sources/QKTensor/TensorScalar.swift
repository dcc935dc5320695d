/// A Swift type that can be the element type of a ``Tensor``; each has exactly one ``DType``.
public protocol TensorScalar: Sendable, Equatable {
    /// The dtype a tensor of this element type has.
    static var dtype: DType { get }
    /// Wraps an array of this type into tensor storage.
    static func storage(_ values: [Self]) -> TensorStorage
    /// Unwraps storage of this type, or nil when the storage holds another dtype.
    static func values(in storage: TensorStorage) -> [Self]?
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    public static func storage(_ values: [Float]) -> TensorStorage { .float32(values) }
    public static func values(in storage: TensorStorage) -> [Float]? { if case .float32(let v) = storage { v } else { nil } }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    public static func storage(_ values: [Double]) -> TensorStorage { .float64(values) }
    public static func values(in storage: TensorStorage) -> [Double]? { if case .float64(let v) = storage { v } else { nil } }
}

extension Float16: TensorScalar {
    public static var dtype: DType { .float16 }
    public static func storage(_ values: [Float16]) -> TensorStorage { .float16(values) }
    public static func values(in storage: TensorStorage) -> [Float16]? { if case .float16(let v) = storage { v } else { nil } }
}

extension BFloat16: TensorScalar {
    public static var dtype: DType { .bfloat16 }
    public static func storage(_ values: [BFloat16]) -> TensorStorage { .bfloat16(values) }
    public static func values(in storage: TensorStorage) -> [BFloat16]? { if case .bfloat16(let v) = storage { v } else { nil } }
}

extension Int8: TensorScalar {
    public static var dtype: DType { .int8 }
    public static func storage(_ values: [Int8]) -> TensorStorage { .int8(values) }
    public static func values(in storage: TensorStorage) -> [Int8]? { if case .int8(let v) = storage { v } else { nil } }
}

extension UInt8: TensorScalar {
    public static var dtype: DType { .uint8 }
    public static func storage(_ values: [UInt8]) -> TensorStorage { .uint8(values) }
    public static func values(in storage: TensorStorage) -> [UInt8]? { if case .uint8(let v) = storage { v } else { nil } }
}

extension Int16: TensorScalar {
    public static var dtype: DType { .int16 }
    public static func storage(_ values: [Int16]) -> TensorStorage { .int16(values) }
    public static func values(in storage: TensorStorage) -> [Int16]? { if case .int16(let v) = storage { v } else { nil } }
}

extension UInt16: TensorScalar {
    public static var dtype: DType { .uint16 }
    public static func storage(_ values: [UInt16]) -> TensorStorage { .uint16(values) }
    public static func values(in storage: TensorStorage) -> [UInt16]? { if case .uint16(let v) = storage { v } else { nil } }
}

extension Int32: TensorScalar {
    public static var dtype: DType { .int32 }
    public static func storage(_ values: [Int32]) -> TensorStorage { .int32(values) }
    public static func values(in storage: TensorStorage) -> [Int32]? { if case .int32(let v) = storage { v } else { nil } }
}

extension Int64: TensorScalar {
    public static var dtype: DType { .int64 }
    public static func storage(_ values: [Int64]) -> TensorStorage { .int64(values) }
    public static func values(in storage: TensorStorage) -> [Int64]? { if case .int64(let v) = storage { v } else { nil } }
}

extension Bool: TensorScalar {
    public static var dtype: DType { .bool }
    public static func storage(_ values: [Bool]) -> TensorStorage { .bool(values) }
    public static func values(in storage: TensorStorage) -> [Bool]? { if case .bool(let v) = storage { v } else { nil } }
}
