import Foundation
import QKTensor

/// Conversion between `TensorProto` and ``Tensor``.
struct ONNXTensorCoding {
    /// The file being read, for messages.
    let path: String
    /// Directory that external-data locations are relative to; nil forbids external data.
    let baseDirectory: String?

    /// Decodes `proto`: raw_data (little-endian), the typed fields, or external data.
    func tensor(from proto: Onnx_TensorProto) throws -> Tensor {
        let name = proto.name
        guard let dtype = ONNXDataType.dtype(proto.dataType) else {
            throw ONNXError.unsupportedDataType(path: path, tensor: name, dataType: proto.dataType)
        }
        guard proto.dims.allSatisfy({ $0 >= 0 && $0 < Int64(Int32.max) }) else {
            throw ONNXError.notProtobuf(path: path, reason: "tensor '\(name)' has invalid dims \(proto.dims)")
        }
        let shape = proto.dims.map { Int($0) }
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        if proto.dataLocation == .external {
            let bytes = try externalBytes(of: proto, expected: count * dtype.byteSize)
            return try Tensor(dtype: dtype, shape: shape, littleEndianBytes: bytes)
        }
        if proto.hasRawData {
            let raw = proto.rawData
            guard raw.count == count * dtype.byteSize else {
                throw ONNXError.tensorDataSize(path: path, tensor: name, expected: count, actual: raw.count / max(1, dtype.byteSize))
            }
            return try Tensor(dtype: dtype, shape: shape, littleEndianBytes: raw)
        }
        let storage = typedStorage(of: proto, dtype: dtype)
        guard storage.count == count else {
            throw ONNXError.tensorDataSize(path: path, tensor: name, expected: count, actual: storage.count)
        }
        return try Tensor(shape: shape, storage: storage)
    }

    /// The typed-field payload (float_data, int32_data, int64_data, double_data).
    private func typedStorage(of proto: Onnx_TensorProto, dtype: DType) -> TensorStorage {
        let int32 = proto.int32Data
        switch dtype {
        case .float32: return .float32(proto.floatData)
        case .float64: return .float64(proto.doubleData)
        case .int64: return .int64(proto.int64Data)
        case .int32: return .int32(int32)
        case .int16: return .int16(int32.map { Int16(truncatingIfNeeded: $0) })
        case .uint16: return .uint16(int32.map { UInt16(truncatingIfNeeded: $0) })
        case .int8: return .int8(int32.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: return .uint8(int32.map { UInt8(truncatingIfNeeded: $0) })
        case .bool: return .bool(int32.map { $0 != 0 })
        case .float16: return .float16(int32.map { Float16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
        case .bfloat16: return .bfloat16(int32.map { BFloat16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
        }
    }

    /// Reads `expected` bytes of an external-data tensor from the side file named by its `location` entry,
    /// which must stay inside the model's directory.
    private func externalBytes(of proto: Onnx_TensorProto, expected: Int) throws -> Data {
        let name = proto.name
        func fail(_ reason: String) -> ONNXError { .externalData(path: path, tensor: name, reason: reason) }
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        guard let baseDirectory else { throw fail("external data needs the model's directory") }
        guard let location = entries["location"], !location.isEmpty else { throw fail("no 'location' entry") }
        let components = location.split(separator: "/")
        guard !location.hasPrefix("/"), !components.contains("..") else {
            throw fail("location '\(location)' points outside the model's directory")
        }
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0 else { throw fail("invalid offset '\(entries["offset"] ?? "")'") }
        let length = Int(entries["length"] ?? "") ?? expected
        guard length == expected else { throw fail("length \(length) bytes, but dims and data type need \(expected)") }
        let file = (baseDirectory as NSString).appendingPathComponent(location)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw fail("side file '\(location)' not found") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: expected) ?? Data()
            guard data.count == expected else {
                throw fail("side file '\(location)' ends before offset \(offset) + \(expected) bytes")
            }
            return data
        } catch let error as ONNXError {
            throw error
        } catch {
            throw fail("cannot read side file '\(location)': \(error.localizedDescription)")
        }
    }

    /// Encodes `tensor` with raw_data.
    static func proto(from tensor: Tensor, name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = ONNXDataType.number(tensor.dtype)
        proto.rawData = Data(tensor.littleEndianBytes)
        return proto
    }
}
