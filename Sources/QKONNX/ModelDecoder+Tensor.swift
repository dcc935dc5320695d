import Foundation
import QKTensor

/// TensorProto → ``Tensor``: the element type, the dimensions, and the elements from raw_data, a typed
/// field or an external file.
extension ModelDecoder {
    /// Converts a tensor; `label` names it in errors (such as `'weight'`).
    func tensor(_ proto: Onnx_TensorProto, label: String) throws -> Tensor {
        guard let dtype = ONNXDataType.dtypeForCode[proto.dataType] else {
            throw ONNXError.unsupportedDataType(file: file, value: "tensor \(label)",
                                                dataType: ONNXDataType.name(of: proto.dataType))
        }
        if proto.hasSegment {
            throw ONNXError.invalidTensor(file: file, tensor: label, reason: "segmented tensors are not supported")
        }
        let shape = try dimensions(proto.dims, label: label)
        let count = shape.reduce(1, *)  // checked for overflow by `dimensions`
        let byteCount = dtype.storedByteCount(count)

        if proto.dataLocation == .external {
            let bytes = try externalData.bytes(of: proto, label: label, expectedBytes: byteCount)
            return try Tensor(dtype: dtype, shape: shape, littleEndianBytes: bytes)
        }
        if proto.hasRawData {
            guard proto.rawData.count == byteCount else {
                throw ONNXError.tensorDataSize(file: file, tensor: label, source: "its raw_data",
                                               expectedBytes: byteCount, actualBytes: proto.rawData.count)
            }
            return try Tensor(dtype: dtype, shape: shape, littleEndianBytes: proto.rawData)
        }
        let (field, available) = Self.typedField(proto, dtype: dtype)
        // 4-bit values are packed two per int32_data entry too (one packed byte in each entry's low 8 bits).
        guard available == (dtype.bitWidth == 4 ? byteCount : count) else {
            throw ONNXError.tensorElementCount(file: file, tensor: label, field: field, expected: count,
                                               actual: available)
        }
        return try Tensor(shape: shape, storage: Self.typedStorage(proto, dtype: dtype, count: count))
    }

    /// The dimensions as `Int`s; throws for a negative dimension or a byte size that overflows.
    private func dimensions(_ dims: [Int64], label: String) throws -> [Int] {
        var total = 1
        for dim in dims {
            guard dim >= 0 else {
                throw ONNXError.invalidTensor(file: file, tensor: label, reason: "negative dimension in \(dims)")
            }
            let product = total.multipliedReportingOverflow(by: Int(dim))
            // 8 bytes per element is the largest dtype: keep the byte size representable too.
            guard !product.overflow, product.partialValue <= Int.max / 8 else {
                throw ONNXError.invalidTensor(file: file, tensor: label, reason: "dimensions \(dims) are too large")
            }
            total = product.partialValue
        }
        return dims.map { Int($0) }
    }

    /// The typed field that holds elements of `dtype` when raw_data is absent, and its element count.
    private static func typedField(_ proto: Onnx_TensorProto, dtype: DType) -> (name: String, count: Int) {
        switch dtype {
        case .float32: ("float_data", proto.floatData.count)
        case .float64: ("double_data", proto.doubleData.count)
        case .int64: ("int64_data", proto.int64Data.count)
        case .int8, .uint8, .int16, .uint16, .int32, .bool, .float16, .bfloat16, .int4, .uint4:
            ("int32_data", proto.int32Data.count)
        }
    }

    /// The elements of the typed field; 8- and 16-bit types take the low bits of each int32_data entry, 4-bit
    /// types two values from each entry's low byte (low nibble first).
    private static func typedStorage(_ proto: Onnx_TensorProto, dtype: DType, count: Int) -> TensorStorage {
        let ints = proto.int32Data
        switch dtype {
        case .float32: return .float32(proto.floatData)
        case .float64: return .float64(proto.doubleData)
        case .int64: return .int64(proto.int64Data)
        case .int32: return .int32(ints)
        case .int16: return .int16(ints.map { Int16(truncatingIfNeeded: $0) })
        case .uint16: return .uint16(ints.map { UInt16(truncatingIfNeeded: $0) })
        case .int8: return .int8(ints.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: return .uint8(ints.map { UInt8(truncatingIfNeeded: $0) })
        case .bool: return .bool(ints.map { $0 != 0 })
        case .float16: return .float16(ints.map { Float16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
        case .bfloat16: return .bfloat16(ints.map { BFloat16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
        case .int4: return .int4(unpackInt4(ints.lazy.map { UInt8(truncatingIfNeeded: $0) }, count: count))
        case .uint4: return .uint4(unpackUInt4(ints.lazy.map { UInt8(truncatingIfNeeded: $0) }, count: count))
        }
    }
}
