/// A dtype-generic transformation of element arrays, applied through ``TensorStorage/map(_:)`` so code that
/// only moves elements (slicing, concatenation, transposition) is written once for every dtype.
public protocol ElementTransform {
    func apply<T: TensorScalar>(_ values: [T]) throws -> [T]
}

extension TensorStorage {
    /// Applies `transform` to the typed array inside, keeping the dtype (int4/uint4 transform their unpacked
    /// `Int8`/`UInt8` arrays; a transform that only moves elements keeps them in range).
    public func map(_ transform: some ElementTransform) throws -> TensorStorage {
        switch self {
        case .float32(let v): .float32(try transform.apply(v))
        case .float16(let v): .float16(try transform.apply(v))
        case .bfloat16(let v): .bfloat16(try transform.apply(v))
        case .float64(let v): .float64(try transform.apply(v))
        case .int8(let v): .int8(try transform.apply(v))
        case .uint8(let v): .uint8(try transform.apply(v))
        case .int16(let v): .int16(try transform.apply(v))
        case .uint16(let v): .uint16(try transform.apply(v))
        case .int32(let v): .int32(try transform.apply(v))
        case .int64(let v): .int64(try transform.apply(v))
        case .bool(let v): .bool(try transform.apply(v))
        case .int4(let v): .int4(try transform.apply(v))
        case .uint4(let v): .uint4(try transform.apply(v))
        }
    }
}
