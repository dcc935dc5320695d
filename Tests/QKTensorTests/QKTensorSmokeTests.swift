import Testing
@testable import QKTensor

@Test func castTruncatesTowardZeroAndSaturates() {
    let t = Tensor(shape: [4], values: [Float(-1.7), 2.9, 300, .nan])
    #expect(t.converted(to: .int8).values(as: Int8.self) == [-1, 2, 127, 0])
}

@Test func bytesRoundTrip() throws {
    let t = Tensor(shape: [2, 2], values: [Int64(1), -2, 3, Int64.max])
    let back = try Tensor(dtype: .int64, shape: [2, 2], littleEndianBytes: t.littleEndianBytes)
    #expect(back == t)
}

@Test func bfloat16RoundsToNearestEven() {
    #expect(BFloat16(Float(1.0)).floatValue == 1.0)
    // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
    #expect(BFloat16(Float(1.0 + 1.0 / 256)).floatValue == 1.0)
    #expect(BFloat16(Float(1.0 + 3.0 / 256)).floatValue == 1.0 + 4.0 / 256)
}

@Test func rowsSliceAndConcatenateRoundTrip() throws {
    let t = Tensor(shape: [3, 2], values: [Int32(0), 1, 2, 3, 4, 5])
    #expect(t.rows(1..<3) == Tensor(shape: [2, 2], values: [Int32(2), 3, 4, 5]))
    #expect(try Tensor.concatenatingRows([t.rows(0..<1), t.rows(1..<3)]) == t)
    #expect(throws: TensorError.self) { try Tensor.concatenatingRows([t, Tensor(shape: [1, 3], values: [Int32(0), 0, 0])]) }
}
