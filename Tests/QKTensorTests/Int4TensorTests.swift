import Foundation
import Testing
@testable import QKTensor

/// int4/uint4 tensors: unpacked storage, ONNX packing, range checks and Cast semantics.
@Suite struct Int4TensorTests {
    @Test func packsLowNibbleFirst() {
        #expect(packInt4([Int8(1), -2, 3]) == [0xE1, 0x03])
        #expect(packInt4([Int8]()) == [])
        #expect(unpackInt4([0xE1, 0x03], count: 3) == [1, -2, 3])
        #expect(unpackInt4([0xF8], count: 2) == [-8, -1])
        #expect(unpackUInt4([0xF8], count: 2) == [8, 15])
        let all = (0..<16).map { UInt8($0) }
        #expect(unpackUInt4(packInt4(all), count: 16) == all)
        let signed = (-8..<8).map { Int8($0) }
        #expect(unpackInt4(packInt4(signed), count: 16) == signed)
    }

    @Test func dtypeTraits() {
        #expect(DType(onnxCode: 22) == .int4 && DType(onnxCode: 21) == .uint4)
        #expect(DType.int4.storedByteCount(5) == 3 && DType.uint4.storedByteCount(4) == 2)
        #expect(DType.float32.storedByteCount(5) == 20)
        #expect(DType.int4.isInteger && !DType.int4.isFloatingPoint && DType.int4.bitWidth == 4)
    }

    @Test func bytesArePackedAndChecked() throws {
        let t = try Tensor(dtype: .int4, shape: [3], littleEndianBytes: [0xE1, 0x03])
        #expect(t.storage == .int4([1, -2, 3]))
        #expect(t.littleEndianBytes == [0xE1, 0x03])
        let u = try Tensor(dtype: .uint4, shape: [2, 2], littleEndianBytes: [0xF8, 0x10])
        #expect(u.storage == .uint4([8, 15, 0, 1]))
        #expect(throws: TensorError.byteCountMismatch(dtype: .int4, shape: [3], expectedBytes: 2, actualBytes: 1)) {
            try Tensor(dtype: .int4, shape: [3], littleEndianBytes: [0xE1])
        }
    }

    @Test func outOfRangeValuesAreRejected() {
        #expect(throws: TensorError.valueOutOfRange(dtype: .int4, value: 8, index: 1)) {
            try Tensor(shape: [2], storage: .int4([0, 8]))
        }
        #expect(throws: TensorError.valueOutOfRange(dtype: .uint4, value: 16, index: 0)) {
            try Tensor(shape: [1], storage: .uint4([16]))
        }
    }

    /// Inputs and expected outputs of ONNX's node tests test_cast_FLOAT_to_INT4 / _UINT4 (opset 28): Cast to a
    /// 4-bit type keeps the low 4 bits of the truncated value.
    @Test func castMatchesOnnxNodeTests() {
        let x = Tensor(shape: [25], values: (-9...15).map { Float($0) })
        #expect(x.converted(to: .int4).int64Values
            == [7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1])
        #expect(x.converted(to: .uint4).int64Values
            == [7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        // Truncation toward zero before wrapping; NaN → 0.
        #expect(Tensor(shape: [3], values: [Float(-1.9), 2.7, .nan]).converted(to: .int4).int64Values == [-1, 2, 0])
        let back = (try? Tensor(shape: [2], storage: .int4([-8, 7])))?.converted(to: .float32)
        #expect(back?.floatValues == [-8, 7])
    }

    @Test func elementMovesKeepTheDType() throws {
        let t = try Tensor(shape: [2, 2], storage: .uint4([1, 2, 3, 15]))
        #expect(try t.reshaped([4]).dtype == .uint4)
        struct Reverse: ElementTransform { func apply<T: TensorScalar>(_ v: [T]) throws -> [T] { v.reversed() } }
        #expect(try t.storage.map(Reverse()) == .uint4([15, 3, 2, 1]))
        #expect(Tensor(zeros: .int4, shape: [3]).storage == .int4([0, 0, 0]))
    }

    @Test func npyWidensToOneByteTypes() throws {
        let t = try Tensor(shape: [3], storage: .int4([-8, 0, 7]))
        let back = try NpyFile.decode(NpyFile.encode(t), source: "t.npy")
        #expect(back == Tensor(shape: [3], values: [Int8(-8), 0, 7]))
    }
}
