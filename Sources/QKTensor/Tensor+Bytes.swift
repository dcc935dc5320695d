/// Little-endian byte serialisation, the layout of `.npy` payloads and ONNX `raw_data`.
extension Tensor {
    /// Reads `shape.product` elements of `dtype` from little-endian `bytes` (bool: one byte each, nonzero = true;
    /// int4/uint4: packed two per byte, first element in the low nibble, as ONNX raw_data).
    /// Throws when the byte count is not exactly `dtype.storedByteCount(count)`.
    public init(dtype: DType, shape: [Int], littleEndianBytes bytes: some Collection<UInt8>) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.negativeDimension(shape: shape) }
        let count = shape.reduce(1, *)
        let expected = dtype.storedByteCount(count)
        guard bytes.count == expected else {
            throw TensorError.byteCountMismatch(dtype: dtype, shape: shape, expectedBytes: expected, actualBytes: bytes.count)
        }
        let array = Array(bytes)
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            array.withUnsafeBytes { raw in
                (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
        }
        let storage: TensorStorage
        switch dtype {
        case .float32: storage = .float32(load(UInt32.self).map(Float.init(bitPattern:)))
        case .float16: storage = .float16(load(UInt16.self).map(Float16.init(bitPattern:)))
        case .bfloat16: storage = .bfloat16(load(UInt16.self).map(BFloat16.init(bitPattern:)))
        case .float64: storage = .float64(load(UInt64.self).map(Double.init(bitPattern:)))
        case .int8: storage = .int8(load(Int8.self))
        case .uint8: storage = .uint8(array)
        case .int16: storage = .int16(load(Int16.self))
        case .uint16: storage = .uint16(load(UInt16.self))
        case .int32: storage = .int32(load(Int32.self))
        case .int64: storage = .int64(load(Int64.self))
        case .bool: storage = .bool(array.map { $0 != 0 })
        case .int4: storage = .int4(unpackInt4(array, count: count))
        case .uint4: storage = .uint4(unpackUInt4(array, count: count))
        }
        try self.init(shape: shape, storage: storage)
    }

    /// The elements as little-endian bytes (bool: one byte each, 0 or 1; int4/uint4: packed two per byte, first
    /// element in the low nibble, an odd count's last high nibble 0).
    public var littleEndianBytes: [UInt8] {
        func store<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
            out.withUnsafeMutableBytes { raw in
                for (i, v) in values.enumerated() {
                    raw.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
                }
            }
            return out
        }
        switch storage {
        case .float32(let v): return store(v.map(\.bitPattern))
        case .float16(let v): return store(v.map(\.bitPattern))
        case .bfloat16(let v): return store(v.map(\.bitPattern))
        case .float64(let v): return store(v.map(\.bitPattern))
        case .int8(let v): return store(v)
        case .uint8(let v): return v
        case .int16(let v): return store(v)
        case .uint16(let v): return store(v)
        case .int32(let v): return store(v)
        case .int64(let v): return store(v)
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .int4(let v): return packInt4(v)
        case .uint4(let v): return packInt4(v)
        }
    }
}
